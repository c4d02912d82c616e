import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks the BOM against the reactor, run by the bom module at verify ({@code java
 * BomCheck.java ROOT_POM BOM_POM}). The BOM has no parent, so nothing else keeps it in step:
 *
 * <ul>
 *   <li>every published module of the root pom's {@code <modules>} (packaging jar, deploy not
 *       skipped) is listed as {@code dev.metamori:ARTIFACT:${project.version}}, and has its own
 *       name and description (Maven Central asks for both; they are not inherited);
 *   <li>the BOM has the root pom's group id and version, and the same url, licenses, developers,
 *       scm and issueManagement.
 * </ul>
 *
 * <p>A listed artifact that no module builds is only reported: modules join the BOM before
 * they join the reactor. Exits with status 1 and one line per problem otherwise.
 */
public final class BomCheck {
  private static final List<String> METADATA =
      List.of("url", "licenses", "developers", "scm", "issueManagement");

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: java BomCheck.java ROOT_POM BOM_POM");
      System.exit(2);
    }
    Path rootPom = Path.of(args[0]);
    Path bomPom = Path.of(args[1]);
    Element root = read(rootPom);
    Element bom = read(bomPom);
    List<String> problems = new ArrayList<>();

    for (String name : List.of("groupId", "version")) {
      if (!text(root, name).equals(text(bom, name))) {
        problems.add("the BOM's " + name + " is '" + text(bom, name) + "', the root pom's '"
            + text(root, name) + "': make them equal");
      }
    }
    for (String name : METADATA) {
      if (!canonical(child(root, name)).equals(canonical(child(bom, name)))) {
        problems.add("the BOM's <" + name + "> differs from the root pom's: copy the root pom's");
      }
    }

    Set<String> listed = new TreeSet<>();
    Element management = child(bom, "dependencyManagement");
    for (Element dependency : children(child(management, "dependencies"), "dependency")) {
      String artifact = text(dependency, "artifactId");
      listed.add(artifact);
      if (!text(dependency, "groupId").equals(text(root, "groupId"))
          || !text(dependency, "version").equals("${project.version}")) {
        problems.add("the BOM lists " + text(dependency, "groupId") + ":" + artifact + ":"
            + text(dependency, "version") + "; it lists the project's own modules only, at"
            + " ${project.version}");
      }
    }

    Set<String> published = new TreeSet<>();
    for (Element module : children(child(root, "modules"), "module")) {
      Path pomFile = rootPom.resolveSibling(module.getTextContent().trim()).resolve("pom.xml");
      Element pom = read(pomFile);
      String packaging = text(pom, "packaging").isEmpty() ? "jar" : text(pom, "packaging");
      Element properties = child(pom, "properties");
      boolean deployed = !"true".equals(properties == null ? "" : text(properties, "maven.deploy.skip"));
      if (!packaging.equals("jar") || !deployed) {
        continue;
      }
      String artifact = text(pom, "artifactId");
      published.add(artifact);
      if (!listed.contains(artifact)) {
        problems.add("module " + module.getTextContent().trim() + " (" + artifact + ") is published"
            + " but bom/pom.xml does not list it: add it to its <dependencyManagement>, or set"
            + " maven.deploy.skip in the module if it is not published");
      }
      for (String name : List.of("name", "description")) {
        if (text(pom, name).isEmpty()) {
          problems.add(pomFile + " has no <" + name + ">: Maven Central needs one per module");
        }
      }
    }

    Set<String> unbuilt = new TreeSet<>(listed);
    unbuilt.removeAll(published);
    if (!unbuilt.isEmpty()) {
      System.out.println("BOM check: listed but not built by this reactor: " + unbuilt);
    }
    if (!problems.isEmpty()) {
      problems.forEach(p -> System.err.println("BOM check: " + p));
      System.exit(1);
    }
    System.out.println("BOM check: lists every published module " + published
        + "; version and metadata match the root pom");
  }

  private static Element read(Path pom) throws Exception {
    if (!Files.isRegularFile(pom)) {
      System.err.println("BOM check: " + pom + " does not exist");
      System.exit(2);
    }
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return factory.newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
  }

  /** The direct child element {@code name} of {@code parent}, or null. */
  private static Element child(Element parent, String name) {
    List<Element> found = children(parent, name);
    return found.isEmpty() ? null : found.get(0);
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> found = new ArrayList<>();
    if (parent == null) {
      return found;
    }
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element && ((Element) n).getTagName().equals(name)) {
        found.add((Element) n);
      }
    }
    return found;
  }

  private static String text(Element parent, String name) {
    Element e = child(parent, name);
    return e == null ? "" : e.getTextContent().trim();
  }

  /** Element names and trimmed text in document order; attributes (inheritance flags) ignored. */
  private static String canonical(Element e) {
    if (e == null) {
      return "(none)";
    }
    StringBuilder s = new StringBuilder("<").append(e.getTagName()).append('>');
    List<Element> elements = new ArrayList<>();
    for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element) {
        elements.add((Element) n);
      }
    }
    if (elements.isEmpty()) {
      s.append(e.getTextContent().trim());
    }
    elements.forEach(c -> s.append(canonical(c)));
    return s.toString();
  }
}
