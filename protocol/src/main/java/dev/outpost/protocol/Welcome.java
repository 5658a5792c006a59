package dev.outpost.protocol;

/**
 * The server's answer to {@link Hello}.
 *
 * @param version the version chosen by {@link ProtocolVersion#negotiate}
 * @param agent the server's software name and version
 * @param volume the volume this connection serves
 * @param journalSeq the change journal's current sequence, where a new subscriber may start
 * @param serverTimeMillis the server's clock, so a client can judge lease expiry times
 */
public record Welcome(int version, String agent, String volume, long journalSeq, long serverTimeMillis)
    implements Reply {
  public Welcome {
    Invariants.range(version, 1, 0xFFFF, "version");
    Invariants.text(agent, "agent");
    Invariants.text(volume, "volume");
    Invariants.atLeast(journalSeq, 0, "journal sequence");
  }
}
