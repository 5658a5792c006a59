/**
 * The FUSE mount of an Outpost volume: {@link dev.outpost.fuse.OutpostMount#mount} with {@link
 * dev.outpost.fuse.MountOptions}. Everything else in the package is implementation.
 */
package dev.outpost.fuse;
