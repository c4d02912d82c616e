package dev.metamori.agent;

import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.metamori.agent.bootstrap.IoBridge;
import dev.metamori.internal.fs.JavaIoJournal;
import java.io.File;
import java.io.FileOutputStream;
import java.io.RandomAccessFile;
import java.lang.instrument.Instrumentation;
import java.nio.ByteBuffer;
import java.nio.file.FileSystem;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.matcher.ElementMatchers;

/**
 * Weaves {@link JavaIoAdvice} into {@code FileOutputStream}, {@code RandomAccessFile}, the
 * JDK's {@code FileChannel} implementation and {@code File}, which are loaded already: retransformed, without changing their shape.
 */
final class JavaIoInterception {
  private JavaIoInterception() {}

  /**
   * Weaves the advice and sets the hook; java.io calls under the tracked roots go to {@code
   * journal} from now on. Call after {@link BridgeInjector#injectBridge}: this class refers to
   * the bridge, and no caller may (so that nothing loads it before it is injected).
   */
  static void install(Instrumentation inst, JavaIoJournal journal, FileSystem platform) {
    IoBridge.hook = new JavaIoHook(journal, platform);
    AsmVisitorWrapper.ForDeclaredMethods output =
        Advice.to(JavaIoAdvice.OpenOutput.class)
            .on(isConstructor().and(takesArguments(File.class, boolean.class)));
    new AgentBuilder.Default()
        .disableClassFormatChanges()
        .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
        .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
        .with(AgentBuilder.TypeStrategy.Default.REDEFINE)
        .ignore(ElementMatchers.none())
        .with(AgentBuilder.Listener.StreamWriting.toSystemError().withErrorsOnly())
        .type(ElementMatchers.is(FileOutputStream.class))
        .transform((builder, type, loader, module, domain) -> builder
            .visit(output)
            .visit(writes()))
        .type(ElementMatchers.is(RandomAccessFile.class))
        .transform((builder, type, loader, module, domain) -> builder
            .visit(Advice.to(JavaIoAdvice.OpenRandomAccess.class)
                .on(isConstructor().and(takesArguments(File.class, String.class))))
            .visit(writes())
            .visit(Advice.to(JavaIoAdvice.SetLength.class, JavaIoAdvice.Release.class)
                .on(named("setLength").and(takesArguments(long.class)))))
        .type(ElementMatchers.named("sun.nio.ch.FileChannelImpl"))
        .transform((builder, type, loader, module, domain) -> builder
            .visit(Advice.to(JavaIoAdvice.ChannelWrite.class, JavaIoAdvice.Release.class)
                .on(named("write").and(takesArguments(ByteBuffer.class))))
            .visit(Advice.to(JavaIoAdvice.ChannelWriteAt.class, JavaIoAdvice.Release.class)
                .on(named("write").and(takesArguments(ByteBuffer.class, long.class))))
            .visit(Advice.to(JavaIoAdvice.ChannelGather.class, JavaIoAdvice.Release.class)
                .on(named("write").and(takesArguments(ByteBuffer[].class, int.class, int.class))))
            .visit(Advice.to(JavaIoAdvice.ChannelTransferFrom.class, JavaIoAdvice.Release.class)
                .on(named("transferFrom").and(takesArguments(3))))
            .visit(Advice.to(JavaIoAdvice.ChannelTruncate.class, JavaIoAdvice.Release.class)
                .on(named("truncate").and(takesArguments(long.class)).and(not(isBridge())))))
        .type(ElementMatchers.is(File.class))
        .transform((builder, type, loader, module, domain) -> builder
            .visit(Advice.to(JavaIoAdvice.Delete.class, JavaIoAdvice.BooleanResult.class).on(named("delete").and(takesArguments(0))))
            .visit(Advice.to(JavaIoAdvice.RenameTo.class, JavaIoAdvice.BooleanResult.class).on(named("renameTo").and(takesArguments(File.class))))
            .visit(Advice.to(JavaIoAdvice.Mkdir.class, JavaIoAdvice.BooleanResult.class).on(named("mkdir").and(takesArguments(0))))
            .visit(Advice.to(JavaIoAdvice.CreateNewFile.class, JavaIoAdvice.BooleanResult.class).on(named("createNewFile").and(takesArguments(0))))
            .visit(Advice.to(JavaIoAdvice.SetLastModified.class, JavaIoAdvice.BooleanResult.class)
                .on(named("setLastModified").and(takesArguments(long.class))))
            .visit(Advice.to(JavaIoAdvice.CreateTempFile.class)
                .on(isStatic().and(named("createTempFile")).and(takesArguments(String.class, String.class, File.class)))))
        .installOn(inst);
  }

  /** The public writes of a stream or random-access file. */
  private static AsmVisitorWrapper writes() {
    return new AsmVisitorWrapper.Compound(
        Advice.to(JavaIoAdvice.WriteByte.class, JavaIoAdvice.Release.class).on(named("write").and(takesArguments(int.class))),
        Advice.to(JavaIoAdvice.WriteArray.class, JavaIoAdvice.Release.class).on(named("write").and(takesArguments(byte[].class))),
        Advice.to(JavaIoAdvice.WriteRange.class, JavaIoAdvice.Release.class)
            .on(named("write").and(takesArguments(byte[].class, int.class, int.class))));
  }
}
