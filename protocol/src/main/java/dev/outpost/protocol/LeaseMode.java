package dev.outpost.protocol;

/** A lease for one writer ({@code EXCLUSIVE}) or for many readers ({@code SHARED}). */
public enum LeaseMode {
  EXCLUSIVE,
  SHARED
}
