package dev.outpost.proxy.upstream;

/**
 * One client session on the proxy: the connection it arrived on and its session number there. Each gets its own
 * upstream session, so the origin authorises (and fences leases for) the client, not the proxy.
 */
public record ClientKey(long connectionId, int session) {}
