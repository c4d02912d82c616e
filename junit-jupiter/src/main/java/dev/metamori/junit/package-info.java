/**
 * A JUnit Jupiter extension that gives a test a directory tracked by a {@link
 * dev.metamori.Checkpointer} and puts the directory, the regions and the objects back to the same
 * baseline after every test.
 *
 * <p>Annotate the test class with {@link dev.metamori.junit.Metamori @Metamori} and ask for what
 * the test needs with {@link dev.metamori.junit.Tracked @Tracked} on a field or parameter:
 *
 * <pre>{@code
 * @Metamori
 * class ReportTest {
 *   @Tracked Path dir;           // the tracked directory, a path of the journaling file system
 *   @Tracked Checkpointer cp;    // its checkpointer
 *
 *   @Test
 *   void writesTheReport() throws IOException {
 *     Files.writeString(dir.resolve("report.txt"), "ok");
 *     long good = cp.commit();
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>{@link dev.metamori.junit.MetamoriExtension} describes when a store is opened, what the
 * baseline is and what happens when a test changes the directory behind the checkpointer's back.
 */
package dev.metamori.junit;
