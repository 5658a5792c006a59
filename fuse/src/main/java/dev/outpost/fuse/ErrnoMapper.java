package dev.outpost.fuse;

import dev.outpost.core.OutpostException;
import org.cryptomator.jfuse.api.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where Outpost's error codes become the negative errno a FUSE callback returns. A conflict (the
 * file changed at the origin since this mount opened it) has no errno of its own: it is EIO and a log line that
 * says what changed. So is OFFLINE (the branch proxy is cut off and does not hold what was asked) and
 * STALE_OPERATION.
 */
final class ErrnoMapper {
  private static final Logger log = LoggerFactory.getLogger(ErrnoMapper.class);
  // Not in jfuse's Errno; the values are Linux's (the only platform this module mounts on).
  private static final int EPERM = 1;
  private static final int EFBIG = 27;
  private static final int ENOSPC = 28;
  private static final int EILSEQ = 84;

  private final Errno errno;

  ErrnoMapper(Errno errno) {
    this.errno = errno;
  }

  Errno errno() {
    return errno;
  }

  /** The negative errno for {@code e}; logs what a user needs to see (conflicts, unexpected failures). */
  int toErrno(String op, String path, OutpostException e) {
    int code = switch (e.code()) {
      case NOT_FOUND -> errno.enoent();
      case ALREADY_EXISTS -> errno.eexist();
      case NOT_A_DIRECTORY -> errno.enotdir();
      case IS_A_DIRECTORY -> errno.eisdir();
      case DIRECTORY_NOT_EMPTY -> errno.enotempty();
      case FORBIDDEN, UNAUTHORIZED -> errno.eacces();
      case READ_ONLY -> errno.erofs();
      case INVALID_PATH -> e.getMessage() != null && e.getMessage().contains("longer than") ? errno.enametoolong()
          : errno.einval();
      case INVALID_ARGUMENT -> errno.einval();
      case NO_SPACE -> ENOSPC;
      case FILE_TOO_LARGE -> EFBIG;
      case LEASE_CONFLICT -> errno.eacces();
      case FENCED -> {
        log.warn("{} {}: refused, its lease was lost or taken over: {}", op, path, e.getMessage());
        yield errno.eio();
      }
      case CONFLICT -> {
        log.warn("{} {}: not committed, the file changed at the origin: {}", op, path, e.getMessage());
        yield errno.eio();
      }
      // EIO rather than ENOTCONN: programs treat ENOTCONN on a file as a dead mount, EIO as a failed operation.
      case OFFLINE -> {
        log.warn("{} {}: offline, not cached at this branch: {}", op, path, e.getMessage());
        yield errno.eio();
      }
      case STALE_OPERATION -> {
        log.warn("{} {}: the origin no longer knows whether this operation was applied: {}", op, path,
            e.getMessage());
        yield errno.eio();
      }
      default -> {
        log.warn("{} {} failed: {}", op, path, e.toString());
        yield errno.eio();
      }
    };
    return -code;
  }

  int enoent() {
    return -errno.enoent();
  }

  int eio() {
    return -errno.eio();
  }

  int erofs() {
    return -errno.erofs();
  }

  int eacces() {
    return -errno.eacces();
  }

  int ebadf() {
    return -errno.ebadf();
  }

  int einval() {
    return -errno.einval();
  }

  int eisdir() {
    return -errno.eisdir();
  }

  int enotdir() {
    return -errno.enotdir();
  }

  int eexist() {
    return -errno.eexist();
  }

  int erange() {
    return -errno.erange();
  }

  int eperm() {
    return -EPERM;
  }

  /** A name that is not UTF-8 ("Invalid or incomplete multibyte or wide character"). */
  int eilseq() {
    return -EILSEQ;
  }
}
