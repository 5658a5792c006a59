package dev.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.protocol.codec.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class RoundTripTest {

  @Provide
  Arbitrary<Frame> frames() {
    return MessageArbitraries.frames();
  }

  @Property(tries = 3000)
  void everyFrameDecodesToWhatWasEncoded(@ForAll("frames") Frame frame) {
    try {
      ByteBuf wire = Frames.encode(frame, Wire.ALLOC);
      try {
        assertThat(wire.readInt()).as("length field").isEqualTo(wire.readableBytes());
        Frame decoded = Frames.decode(wire);
        try {
          assertThat(decoded).isEqualTo(frame);
          assertThat(wire.isReadable()).isFalse();
        } finally {
          decoded.release();
        }
        assertThat(wire.refCnt()).as("decoded payload slices released").isEqualTo(1);
      } finally {
        wire.release();
      }
    } finally {
      frame.release();
    }
  }

  @Provide
  Arbitrary<Message> messages() {
    return MessageArbitraries.messages();
  }

  @Property(tries = 1000)
  void everyMessageStoredOnItsOwnDecodesToWhatWasEncoded(@ForAll("messages") Message message) {
    try {
      byte[] stored = Frames.encodeMessage(message);
      assertThat(stored).startsWith((byte) (Frames.typeNumber(message.getClass()) >> 8),
          (byte) Frames.typeNumber(message.getClass()));
      Message decoded = Frames.decodeMessage(stored);
      try {
        assertThat(decoded).isEqualTo(message);
      } finally {
        io.netty.util.ReferenceCountUtil.release(decoded);
      }
    } finally {
      io.netty.util.ReferenceCountUtil.release(message);
    }
  }

  @Property(tries = 600)
  void everyFrameCrossesThePipelineUnchanged(@ForAll("frames") Frame frame) {
    EmbeddedChannel sender = Wire.channel(null);
    Wire.Capture capture = new Wire.Capture();
    EmbeddedChannel receiver = Wire.channel(capture);
    // The payload buffer itself travels to the receiver, which consumes it: compare with bytes taken before.
    ByteBuf expected = Frames.encode(frame, Wire.ALLOC);
    try {
      assertThat(sender.writeOutbound(frame.retain())).isTrue();
      Deque<ByteBuf> written = new ArrayDeque<>();
      for (Object o; (o = sender.readOutbound()) != null; ) {
        written.add((ByteBuf) o);
      }
      if (frame.message() instanceof BlockData data) {
        assertThat(written).hasSize(2);
        assertThat(written.getLast()).as("payload sent without a copy").isSameAs(data.cipher());
      } else if (frame.message() instanceof PutBlock put) {
        assertThat(written).hasSize(2);
        assertThat(written.getLast()).as("payload sent without a copy").isSameAs(put.cipher());
      } else {
        assertThat(written).hasSize(1);
      }
      for (ByteBuf b : written) {
        receiver.writeInbound(b);
      }
      assertThat(capture.errors).isEmpty();
      assertThat(capture.frames).hasSize(1);
      ByteBuf actual = Frames.encode(capture.frames.getFirst(), Wire.ALLOC);
      try {
        assertThat(Wire.hex(actual)).isEqualTo(Wire.hex(expected));
      } finally {
        actual.release();
      }
    } finally {
      expected.release();
      capture.releaseFrames();
      sender.finishAndReleaseAll();
      receiver.finishAndReleaseAll();
      assertThat(frame.refCnt()).as("the pipeline gave up its reference").isEqualTo(1);
      frame.release();
    }
  }

  @Example
  void arbitrariesAndTheTypeTableCoverEveryMessage() {
    Set<Class<?>> permitted = new HashSet<>();
    Deque<Class<?>> todo = new ArrayDeque<>();
    todo.add(Message.class);
    while (!todo.isEmpty()) {
      Class<?> c = todo.pop();
      if (c.isSealed()) {
        todo.addAll(java.util.List.of(c.getPermittedSubclasses()));
      } else {
        permitted.add(c);
      }
    }
    assertThat(permitted).hasSize(53);
    assertThat(MessageArbitraries.byType().keySet()).containsExactlyInAnyOrderElementsOf(
        permitted.stream().map(c -> c.asSubclass(Message.class)).toList());
    assertThat(WireFormat.types().values()).containsExactlyInAnyOrderElementsOf(
        permitted.stream().map(c -> c.asSubclass(Message.class)).toList());
    WireFormat.types().forEach((type, c) ->
        assertThat(Reply.class.isAssignableFrom(c)).as(c.getSimpleName()).isEqualTo(type >= 0x8000));
  }
}
