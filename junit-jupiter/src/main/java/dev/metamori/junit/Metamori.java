package dev.metamori.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Registers {@link MetamoriExtension} for the annotated test class: shorthand for {@code
 * @ExtendWith(MetamoriExtension.class)}. Fields and parameters annotated {@link Tracked @Tracked}
 * then receive the tracked directory, its {@link dev.metamori.Checkpointer} or its {@link
 * java.nio.file.FileSystem}.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@ExtendWith(MetamoriExtension.class)
public @interface Metamori {}
