package dev.metamori.junit;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;

/**
 * Gives tests a directory tracked by a {@link Checkpointer}, and restores it after each test to
 * the state it had before. Register it with {@link Metamori @Metamori} (or {@code
 * @ExtendWith(MetamoriExtension.class)}) and ask for the directory, the {@link Checkpointer} or
 * its {@link FileSystem} with {@link Tracked @Tracked} on fields or parameters.
 *
 * <p>Each store lives in a new temporary directory (under {@code java.io.tmpdir}) next to the
 * directory it tracks, which starts empty; both are deleted when the store is closed. Where a
 * test class asks decides how long the store lives:
 *
 * <ul>
 *   <li><b>Per test</b> (the default): a test that asks for the store in an instance field or in
 *       a parameter of the test, {@code @BeforeEach} or {@code @AfterEach} method gets a store of
 *       its own, with the empty directory committed as the baseline. After the test (after its
 *       {@code @AfterEach} methods) the store is restored to the baseline, closed and deleted.
 *   <li><b>Per class</b>: a class that asks for it in a static field, in a parameter of a {@code
 *       @BeforeAll} or {@code @AfterAll} method or of its constructor, or (under {@code
 *       @TestInstance(PER_CLASS)}) in an instance field, shares one store between its tests.
 *       What the {@code @BeforeAll} methods write, the regions they create and the objects they
 *       register is committed as the baseline before the first test; after each test the
 *       directory, the regions and the objects are restored to that baseline, in time
 *       proportional to what the test changed, so every test starts from the same state. The
 *       store is closed and deleted after the {@code @AfterAll} methods. A {@code @Nested} class
 *       shares its enclosing class's store: its own {@code @BeforeAll} methods add to the
 *       baseline of its tests, and are undone when it is done.
 * </ul>
 *
 * <p>A test that changes the tracked directory behind the checkpointer's back (through {@code
 * Path.of}, {@code java.io.File} or another program, instead of the injected paths) fails after
 * it ran with a message naming each changed entry; the store restores over those changes and
 * deletes the entries created that way, so the next test starts from the baseline all the same.
 * Channels a test leaves open are closed with the store (per test) or restored under (per
 * class). The tests of a per-class store must run one at a time ({@code
 * @Execution(ExecutionMode.SAME_THREAD)} on the class when parallel execution is on): a test
 * that starts while another one of the same store runs fails before it touches the store. Objects a test {@linkplain Checkpointer#register registers} stay registered in a
 * per-class store: register them in {@code @BeforeAll} so that they belong to the baseline.
 */
public final class MetamoriExtension
    implements BeforeAllCallback,
        AfterAllCallback,
        BeforeEachCallback,
        AfterEachCallback,
        ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(MetamoriExtension.class);
  private static final String CLASS_SCOPE = "class";
  private static final String TEST_STORE = "test";

  /** Created by JUnit. */
  public MetamoriExtension() {}

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Class<?> testClass = context.getRequiredTestClass();
    Scope enclosing = classScope(context);
    boolean perClassInstance =
        context.getTestInstanceLifecycle().orElse(null) == TestInstance.Lifecycle.PER_CLASS;
    List<Field> statics = trackedFields(testClass, f -> Modifier.isStatic(f.getModifiers()));
    List<Field> instance = trackedFields(testClass, f -> !Modifier.isStatic(f.getModifiers()));
    Scope scope = null;
    if (enclosing != null) {
      scope = enclosing.nested();
    } else if (!statics.isEmpty() || (perClassInstance && !instance.isEmpty())) {
      scope = Scope.open();
    }
    if (scope == null) {
      return;
    }
    context.getStore(NAMESPACE).put(CLASS_SCOPE, scope);
    inject(statics, null, scope.store());
    if (perClassInstance) {
      inject(instance, context.getRequiredTestInstance(), scope.store());
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    Scope scope = classScope(context);
    TrackedStore store;
    if (scope != null) {
      scope.begin(context.getUniqueId(), testName(context));
      store = scope.store();
    } else {
      store = null;
    }
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      List<Field> fields =
          trackedFields(instance.getClass(), f -> !Modifier.isStatic(f.getModifiers()));
      if (!fields.isEmpty()) {
        if (store == null) {
          store = testStore(context);
        }
        inject(fields, instance, store);
      }
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    String test = testName(context);
    Scope own = context.getStore(NAMESPACE).remove(TEST_STORE, Scope.class);
    if (own != null) {
      try (own) {
        own.store().restore(own.baseline(), test);
      }
      return;
    }
    Scope scope = classScope(context);
    if (scope != null) {
      scope.restoreAfter(context.getUniqueId(), test);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    Scope scope = context.getStore(NAMESPACE).remove(CLASS_SCOPE, Scope.class);
    if (scope != null) {
      scope.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    if (!parameter.isAnnotated(Tracked.class)) {
      return type == Checkpointer.class;
    }
    checkType(type, parameter.getParameter().toString());
    return true;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    try {
      return storeFor(parameter, context).get(parameter.getParameter().getType());
    } catch (IOException e) {
      throw new ParameterResolutionException(
          "could not open a Metamori store for " + parameter.getParameter() + ": " + e, e);
    }
  }

  private static TrackedStore storeFor(ParameterContext parameter, ExtensionContext context)
      throws IOException {
    Scope scope = classScope(context);
    if (scope != null) {
      return scope.store();
    }
    boolean classLevel =
        context.getTestMethod().isEmpty()
            || parameter.getDeclaringExecutable() instanceof Constructor
            || parameter.getDeclaringExecutable().isAnnotationPresent(BeforeAll.class)
            || parameter.getDeclaringExecutable().isAnnotationPresent(AfterAll.class);
    if (!classLevel) {
      return testStore(context);
    }
    ExtensionContext classContext = context;
    while (classContext.getTestMethod().isPresent()) {
      classContext = classContext.getParent().orElseThrow();
    }
    scope = Scope.open();
    classContext.getStore(NAMESPACE).put(CLASS_SCOPE, scope);
    return scope.store();
  }

  private static String testName(ExtensionContext context) {
    return "test " + context.getDisplayName();
  }

  private static Scope classScope(ExtensionContext context) {
    return context.getStore(NAMESPACE).get(CLASS_SCOPE, Scope.class);
  }

  /** The store of the test {@code context} belongs to, opened with its baseline if new. */
  private static TrackedStore testStore(ExtensionContext context) throws IOException {
    ExtensionContext.Store values = context.getStore(NAMESPACE);
    Scope scope = values.get(TEST_STORE, Scope.class);
    if (scope == null) {
      scope = Scope.open();
      values.put(TEST_STORE, scope);
      scope.baseline();
    }
    return scope.store();
  }

  private static List<Field> trackedFields(Class<?> type, Predicate<Field> which) {
    return AnnotationSupport.findAnnotatedFields(
        type, Tracked.class, which, HierarchyTraversalMode.TOP_DOWN);
  }

  private static void inject(List<Field> fields, Object instance, TrackedStore store)
      throws IllegalAccessException {
    for (Field field : fields) {
      checkType(field.getType(), field.toString());
      if (Modifier.isFinal(field.getModifiers())) {
        throw new ExtensionConfigurationException(
            "@Tracked field " + field + " must not be final: the extension assigns it");
      }
      try {
        field.setAccessible(true);
      } catch (InaccessibleObjectException e) {
        throw new ExtensionConfigurationException(
            "cannot assign @Tracked field "
                + field
                + ": its package is not open to module dev.metamori.junit; add it to the opens"
                + " of the test module (opens "
                + field.getDeclaringClass().getPackageName()
                + " to org.junit.platform.commons, dev.metamori.junit)",
            e);
      }
      field.set(instance, store.get(field.getType()));
    }
  }

  private static void checkType(Class<?> type, String what) {
    if (type != Path.class && type != FileSystem.class && type != Checkpointer.class) {
      throw new ExtensionConfigurationException(
          "@Tracked "
              + what
              + " has type "
              + type.getName()
              + "; @Tracked gives a java.nio.file.Path (the tracked directory), a"
              + " java.nio.file.FileSystem or a dev.metamori.Checkpointer");
    }
  }
}
