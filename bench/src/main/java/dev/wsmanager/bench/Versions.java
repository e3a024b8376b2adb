package dev.wsmanager.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** Versions of what was measured, read from the jars and JDKs themselves. */
final class Versions {
  private Versions() {}

  static String libraries() {
    return String.join(
        ", ",
        maven("dev.wsmanager", "ws-manager"),
        maven("com.squareup.okhttp3", "okhttp-jvm"),
        maven("com.squareup.okio", "okio-jvm"),
        maven("org.jetbrains.kotlin", "kotlin-stdlib"),
        maven("io.prometheus", "prometheus-metrics-core"),
        maven("io.prometheus", "prometheus-metrics-exposition-textformats"),
        maven("io.github.resilience4j", "resilience4j-core"),
        maven("org.slf4j", "slf4j-api"),
        maven("org.openjdk.jmh", "jmh-core"));
  }

  static String maven(String group, String artifact) {
    String resource = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = Versions.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return artifact + " ?";
      }
      Properties p = new Properties();
      p.load(in);
      return artifact + " " + p.getProperty("version");
    } catch (IOException e) {
      return artifact + " ?";
    }
  }

  /** "Vendor version" of a JDK home, from its {@code release} file. */
  static String jdk(String home) {
    try {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(Path.of(home, "release"))) {
        p.load(in);
      }
      String version = unquote(p.getProperty("JAVA_RUNTIME_VERSION", p.getProperty("JAVA_VERSION")));
      String vendor = unquote(p.getProperty("IMPLEMENTOR", ""));
      return (vendor.isEmpty() ? "" : vendor + " ") + version;
    } catch (IOException e) {
      return home + " (not found)";
    }
  }

  private static String unquote(String s) {
    return s == null ? "?" : s.replace("\"", "");
  }
}
