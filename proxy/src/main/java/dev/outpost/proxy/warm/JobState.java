package dev.outpost.proxy.warm;

/** Where a job is in its life. QUEUED and RUNNING jobs are resumed after a proxy restart. */
public enum JobState {
  QUEUED,
  RUNNING,
  DONE,
  FAILED,
  CANCELLED;

  public boolean finished() {
    return this == DONE || this == FAILED || this == CANCELLED;
  }
}
