package dev.metamori.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Asks {@link MetamoriExtension} for part of the test's tracked store, by the type of the field
 * or parameter:
 *
 * <ul>
 *   <li>{@link java.nio.file.Path}: the tracked directory, empty at first, as a path of the
 *       journaling file system, so that {@code Files.*} calls on it and on the paths resolved
 *       from it are journaled and undone after the test;
 *   <li>{@link java.nio.file.FileSystem}: the journaling file system ({@link
 *       dev.metamori.Checkpointer#fileSystem()});
 *   <li>{@link dev.metamori.Checkpointer}: the checkpointer of the store (a parameter of this
 *       type needs no annotation).
 * </ul>
 *
 * <p>A static field, a parameter of a {@code @BeforeAll} or {@code @AfterAll} method or of the
 * constructor, and, under {@code @TestInstance(PER_CLASS)}, an instance field ask for the store
 * of the test class, shared by its tests; otherwise the test gets a store of its own. See {@link
 * MetamoriExtension}. The field must not be final; it is assigned before the
 * first {@code @BeforeAll} (static fields) or {@code @BeforeEach} (instance fields) method runs.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.ANNOTATION_TYPE})
public @interface Tracked {}
