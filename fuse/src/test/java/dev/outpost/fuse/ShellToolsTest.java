package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Ordinary programs (coreutils, tar, git) working inside a mount of a real origin. */
class ShellToolsTest extends MountFixture {

  @Test
  void lsAndCatShowWhatTheOriginHolds() throws Exception {
    client.mkdir("/docs", false);
    client.write("/docs/hello.txt", "hello, outpost\n".getBytes(StandardCharsets.UTF_8), WriteOptions.DEFAULTS);
    client.symlink("/docs/link", "hello.txt");

    assertThat(sh("ls -1 docs")).isEqualTo("hello.txt\nlink\n");
    assertThat(sh("cat docs/hello.txt")).isEqualTo("hello, outpost\n");
    assertThat(sh("cat docs/link")).isEqualTo("hello, outpost\n");
    assertThat(sh("readlink docs/link")).isEqualTo("hello.txt\n");
    assertThat(sh("stat -c '%F %s %a' docs/hello.txt docs docs/link"))
        .isEqualTo("regular file 15 644\ndirectory 4096 755\nsymbolic link 9 777\n");
    assertThat(shResult("cat docs/missing").output()).contains("No such file or directory");
  }

  @Test
  void filesWrittenInTheMountReachTheOrigin() throws Exception {
    sh("printf 'first line\\n' > a.txt && printf 'second\\n' >> a.txt");
    assertThat(read(client, "/a.txt")).isEqualTo("first line\nsecond\n");
    assertThat(sh("cat a.txt")).isEqualTo("first line\nsecond\n");
    assertThat(sh("wc -c < a.txt").strip()).isEqualTo("18");
  }

  @Test
  void copiedTreeIsIdenticalToItsSource() throws Exception {
    Path src = sourceTree(tmp.resolve("src"), 42);
    sh("cp -r " + src + " tree");
    sh("diff -r " + src + " tree");
    // The origin holds the same bytes, read back by the library rather than through the mount.
    assertThat(client.stat("/tree/sub/deeper/big.bin").size()).isEqualTo(Files.size(src.resolve("sub/deeper/big.bin")));
    assertThat(readBytes(client, "/tree/sub/deeper/big.bin")).isEqualTo(Files.readAllBytes(src.resolve("sub/deeper/big.bin")));
    assertThat(client.stat("/tree/empty.txt").size()).isZero();
  }

  @Test
  void mkdirMvRmLnChmodTouchTruncateBehaveAsOnADisk() throws Exception {
    sh("mkdir -p a/b/c && printf 'payload' > a/b/c/f");
    assertThat(client.stat("/a/b/c").type()).isEqualTo(FileType.DIRECTORY);

    sh("mv a/b/c/f a/g");
    assertThat(sh("ls a/b/c")).isEmpty();
    assertThat(sh("cat a/g")).isEqualTo("payload");
    assertThat(client.statIfExists("/a/b/c/f")).isEmpty();

    sh("ln -s g a/link");
    assertThat(sh("cat a/link")).isEqualTo("payload");
    assertThat(client.readlink("/a/link")).isEqualTo("g");

    sh("chmod 600 a/g");
    assertThat(sh("stat -c %a a/g")).isEqualTo("600\n");
    assertThat(client.stat("/a/g").mode()).isEqualTo(0600);

    sh("touch -d '2020-01-02 03:04:05 UTC' a/g");
    assertThat(sh("stat -c %Y a/g")).isEqualTo("1577934245\n");
    assertThat(client.stat("/a/g").mtimeMillis()).isEqualTo(1577934245000L);
    sh("touch a/new-empty");
    assertThat(client.stat("/a/new-empty").size()).isZero();

    sh("truncate -s 10 a/g");
    assertThat(sh("stat -c %s a/g")).isEqualTo("10\n");
    assertThat(readBytes(client, "/a/g")).isEqualTo("payload\0\0\0".getBytes(StandardCharsets.UTF_8));
    sh("truncate -s 3 a/g");
    assertThat(sh("cat a/g")).isEqualTo("pay");

    assertThat(shResult("rmdir a").output()).contains("Directory not empty");
    assertThat(shResult("mkdir a").output()).contains("File exists");
    sh("rm -r a");
    assertThat(sh("ls -A")).isEmpty();
    assertThat(client.list("/")).isEmpty();
  }

  @Test
  void editorStyleSaveReplacesTheOriginal() throws Exception {
    sh("printf 'version 1\\n' > notes.txt");
    FileAttr before = client.stat("/notes.txt");
    // What vim and most editors do: write a new file next to the original, then rename it over.
    sh("printf 'version 2, longer\\n' > .notes.txt.swp && mv .notes.txt.swp notes.txt");
    assertThat(sh("cat notes.txt")).isEqualTo("version 2, longer\n");
    assertThat(read(client, "/notes.txt")).isEqualTo("version 2, longer\n");
    assertThat(client.stat("/notes.txt").inode()).isNotEqualTo(before.inode());
    assertThat(sh("ls -A")).isEqualTo("notes.txt\n");

    // Renaming over a file another process still reads: the reader keeps the old content.
    String out = sh("exec 3< notes.txt; printf 'version 3\\n' > tmp && mv tmp notes.txt; cat <&3; cat notes.txt");
    assertThat(out).isEqualTo("version 2, longer\nversion 3\n");
    // While fd 3 was open the kernel kept the replaced file as .fuse_hidden*; it is removed when the kernel
    // delivers the release, which happens after the shell has exited: wait for it, not for a fixed time.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String listing = sh("ls -A");
    while (!listing.equals("notes.txt\n") && System.nanoTime() < deadline) {
      Thread.sleep(10);
      listing = sh("ls -A");
    }
    assertThat(listing).isEqualTo("notes.txt\n");
    assertThat(client.list("/")).extracting(e -> e.name()).containsExactly("notes.txt");
  }

  @Test
  void tarArchivesAndExtractsInsideTheMount() throws Exception {
    Path src = sourceTree(tmp.resolve("src"), 7);
    sh("tar cf t.tar -C " + src + " .");
    sh("mkdir x && tar xf t.tar -C x");
    sh("diff -r " + src + " x");
    assertThat(sh("tar tf t.tar | sort")).contains("./sub/deeper/big.bin");
  }

  @Test
  void gitCommitsATreeInsideTheMount() throws Exception {
    assumeTrue(installed("git"), "git is not installed");
    Path src = sourceTree(tmp.resolve("src"), 3);
    sh("mkdir repo && cp -r " + src + "/. repo/");
    String git = "cd repo && git -c init.defaultBranch=main -c user.name=t -c user.email=t@example.com ";
    sh(git + "init -q && " + git.replace("cd repo && ", "") + "add -A && "
        + git.replace("cd repo && ", "") + "commit -q -m first");
    assertThat(sh("cd repo && git status --porcelain")).isEmpty();
    assertThat(sh("cd repo && git log --oneline | wc -l").strip()).isEqualTo("1");
    sh("cd repo && git fsck --no-progress");
  }

  /** A small tree: nested directories, an empty file, text, and a binary spanning several chunks. */
  static Path sourceTree(Path root, long seed) throws Exception {
    Random random = new Random(seed);
    Files.createDirectories(root.resolve("sub/deeper"));
    Files.createDirectories(root.resolve("emptydir"));
    Files.writeString(root.resolve("readme.txt"), "a readme\n");
    Files.write(root.resolve("empty.txt"), new byte[0]);
    for (int i = 0; i < 12; i++) {
      byte[] b = new byte[random.nextInt(5000)];
      random.nextBytes(b);
      Files.write(root.resolve("sub/file" + i + ".dat"), b);
    }
    byte[] big = new byte[700_000];
    random.nextBytes(big);
    Files.write(root.resolve("sub/deeper/big.bin"), big);
    return root;
  }

  static byte[] readBytes(OutpostClient client, String path) throws Exception {
    try (InputStream in = client.openRead(path)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    }
  }

  static String read(OutpostClient client, String path) throws Exception {
    return new String(readBytes(client, path), StandardCharsets.UTF_8);
  }
}
