package dev.outpost.protocol;

/**
 * First frame a client sends: the versions it speaks and its token. On the wire the body starts with
 * {@link #MAGIC} so a peer that is not Outpost is refused at once. Answered by {@link Welcome} or by an
 * {@link ErrorReply} (UNSUPPORTED_VERSION, UNAUTHORIZED) before the server closes the connection.
 *
 * @param minVersion oldest version the client speaks, 1..65535
 * @param maxVersion newest version the client speaks, minVersion..65535
 * @param agent free-form software name and version, for logs
 * @param token access token; it becomes the identity of session 0
 */
public record Hello(int minVersion, int maxVersion, String agent, String token) implements Request {
  /** "OUTP" in ASCII, the first four bytes of a Hello body. */
  public static final int MAGIC = 0x4F555450;

  public Hello {
    Invariants.range(minVersion, 1, 0xFFFF, "minimum version");
    Invariants.range(maxVersion, minVersion, 0xFFFF, "maximum version");
    Invariants.text(agent, "agent");
    Invariants.text(token, "token");
  }

  @Override
  public String toString() {
    return "Hello[" + minVersion + ".." + maxVersion + ", agent=" + agent + "]";
  }
}
