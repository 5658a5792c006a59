package dev.outpost.crypto;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.security.auth.Destroyable;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * A volume's master secret (32 bytes) and volume id (16 bytes), with the sub-keys derived from them by
 * HKDF-SHA256 (FORMAT.md §1): the convergence secret, the root-key wrap key and the chunker's gear table.
 *
 * <p>Thread-safe. Call {@link #destroy()} when done: it wipes the secret and the two derived keys (the gear
 * table stays readable: it only shapes chunk boundaries). Derived objects ({@link BlockSealer}) keep their
 * own copies and must be destroyed separately.
 */
public final class VolumeKey implements Destroyable {
  public static final int SECRET_BYTES = 32;
  public static final int VOLUME_ID_BYTES = 16;
  static final String INFO_CONVERGENCE = "outpost/convergence/v1";
  static final String INFO_WRAP = "outpost/wrap/v1";
  static final String INFO_GEAR = "outpost/gear/v1";
  static final String PASSPHRASE_SALT_PREFIX = "outpost/passphrase/v1";

  private final SecretBytes secret;
  private final byte[] volumeId;
  private final SecretBytes convergence;
  private final SecretBytes wrap;
  private final GearTable gear;

  private VolumeKey(byte[] secret, byte[] volumeId) {
    this.secret = new SecretBytes(secret);
    this.volumeId = volumeId;
    this.convergence = new SecretBytes(Primitives.hkdf(secret, volumeId, INFO_CONVERGENCE, 32));
    this.wrap = new SecretBytes(Primitives.hkdf(secret, volumeId, INFO_WRAP, 32));
    byte[] gearBytes = Primitives.hkdf(secret, volumeId, INFO_GEAR, GearTable.BYTES);
    this.gear = GearTable.fromBytes(gearBytes);
    Arrays.fill(gearBytes, (byte) 0);
  }

  /** A fresh random master secret for volume {@code volumeId}. */
  public static VolumeKey generate(byte[] volumeId, SecureRandom random) {
    checkVolumeId(volumeId);
    byte[] s = new byte[SECRET_BYTES];
    random.nextBytes(s);
    return new VolumeKey(s, volumeId.clone());
  }

  /**
   * The key for a known master secret (as read from a key file). The array is copied.
   *
   * @throws OutpostException INVALID_ARGUMENT on wrong lengths
   */
  public static VolumeKey fromSecret(byte[] secret, byte[] volumeId) {
    checkVolumeId(volumeId);
    if (secret == null || secret.length != SECRET_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "volume secret must be " + SECRET_BYTES + " bytes");
    }
    return new VolumeKey(secret.clone(), volumeId.clone());
  }

  /**
   * Derives the master secret from a passphrase with Argon2id (version 0x13), salt = ASCII
   * "outpost/passphrase/v1" ‖ volume id, password = the passphrase's UTF-8 bytes. Slow by design (about the
   * cost of {@code params}).
   */
  public static VolumeKey fromPassphrase(char[] passphrase, byte[] volumeId, Argon2Params params) {
    checkVolumeId(volumeId);
    if (passphrase == null || passphrase.length == 0) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "empty passphrase");
    }
    byte[] prefix = Primitives.ascii(PASSPHRASE_SALT_PREFIX);
    byte[] salt = Arrays.copyOf(prefix, prefix.length + VOLUME_ID_BYTES);
    System.arraycopy(volumeId, 0, salt, prefix.length, VOLUME_ID_BYTES);
    Argon2BytesGenerator gen = new Argon2BytesGenerator();
    gen.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withSalt(salt)
        .withMemoryAsKB(params.memoryKib())
        .withIterations(params.iterations())
        .withParallelism(params.parallelism())
        .build());
    byte[] s = new byte[SECRET_BYTES];
    gen.generateBytes(passphrase, s);
    return new VolumeKey(s, volumeId.clone());
  }

  private static void checkVolumeId(byte[] volumeId) {
    if (volumeId == null || volumeId.length != VOLUME_ID_BYTES) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "volume id must be " + VOLUME_ID_BYTES + " bytes");
    }
  }

  /** A copy of the 16-byte volume id. */
  public byte[] volumeId() {
    return volumeId.clone();
  }

  /** The chunker's gear table for this volume. */
  public GearTable gearTable() {
    return gear;
  }

  /** A copy of the master secret; for writing key files. Zero it after use. */
  byte[] secretCopy() {
    return secret.copy();
  }

  SecretBytes convergenceSecret() {
    return convergence;
  }

  SecretBytes wrapKey() {
    return wrap;
  }

  @Override
  public void destroy() {
    secret.destroy();
    convergence.destroy();
    wrap.destroy();
  }

  @Override
  public boolean isDestroyed() {
    return secret.isDestroyed();
  }
}
