package dev.outpost.transport;

import java.util.Optional;

/**
 * One identity on a connection: session 0 is the connection's own (token from HELLO); others are opened
 * with ATTACH, so a proxy can carry many clients, each with its own token, on one upstream connection.
 *
 * @param id the session number carried in every frame
 * @param principal who it acts for; empty when HELLO carried no token
 * @param connectionId a number unique to the connection within this process (for per-connection state)
 */
public record Session(int id, Optional<Principal> principal, long connectionId) {}
