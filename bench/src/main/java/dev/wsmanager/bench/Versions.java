package dev.wsmanager.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** Versions of what was measured, read from the jars and JDKs themselves. */
final class Versions {
  private static final String LIST = "bench-dependencies.txt";

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

  /**
   * The version of one dependency, from the list the build writes into the jar ({@code
   * bench-dependencies.txt}, {@code maven-dependency-plugin:list}).
   */
  static String maven(String group, String artifact) {
    String prefix = group + ":" + artifact + ":";
    try (InputStream in = Versions.class.getClassLoader().getResourceAsStream(LIST)) {
      String list = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      for (String line : list.split("\n")) {
        // "   group:artifact:type[:classifier]:version:scope -- module ..."
        String[] parts = line.strip().split("\\s+")[0].split(":");
        if (line.strip().startsWith(prefix) && parts.length >= 5) {
          return artifact + " " + parts[parts.length - 2];
        }
      }
    } catch (IOException e) {
      // reported as unknown below
    }
    return artifact + " ?";
  }

  /** "Vendor version" of a JDK home, from its {@code release} file. */
  static String jdk(String home) {
    try {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(Path.of(home, "release"))) {
        p.load(in);
      }
      String version =
          unquote(p.getProperty("JAVA_RUNTIME_VERSION", p.getProperty("JAVA_VERSION")));
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
