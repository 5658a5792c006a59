package dev.outpost.origin.server;

import dev.outpost.crypto.VolumeKey;
import dev.outpost.origin.config.OriginConfig;
import dev.outpost.origin.volume.LmdbVolume;
import dev.outpost.origin.volume.Volume;
import dev.outpost.store.StorageConfig;
import java.security.SecureRandom;
import java.time.Clock;

/** Opens and creates the volume of a data directory as a config describes it: the one place that does. */
public final class VolumeStore {
  private VolumeStore() {}

  public static StorageConfig storage(OriginConfig config) {
    return new StorageConfig(config.store().initialMapBytes(), config.store().maxMapBytes(),
        config.store().maxReaders(), true);
  }

  /**
   * Opens the volume in {@code config.dataDir()}.
   *
   * @throws dev.outpost.core.OutpostException NOT_FOUND if there is none
   */
  public static Volume open(OriginConfig config, Clock clock) {
    return LmdbVolume.open(config.dataDir(), storage(config), clock,
        (int) Math.min(Integer.MAX_VALUE, config.journal().retainEvents()));
  }

  /** Creates a new volume with a fresh random volume id. */
  public static Volume create(OriginConfig config, String name, SecureRandom random, Clock clock) {
    byte[] volumeId = new byte[VolumeKey.VOLUME_ID_BYTES];
    random.nextBytes(volumeId);
    return LmdbVolume.create(config.dataDir(), name, volumeId, storage(config), clock);
  }
}
