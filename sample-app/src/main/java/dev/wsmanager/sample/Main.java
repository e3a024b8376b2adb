package dev.wsmanager.sample;

import dev.wsmanager.sample.SampleConfig.ConfigException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the sample app: {@code java -jar ws-manager-sample-app.jar}. Configured by environment
 * variables (see {@link SampleConfig}); with none it manages five streams of an embedded demo feed
 * and serves their metrics at {@code http://localhost:3000/api/ws/metrics}. SIGTERM or Ctrl-C
 * closes every stream with 1000 and exits.
 */
public final class Main {
  /** Exit code for a bad configuration. */
  static final int EXIT_BAD_CONFIG = 2;

  /** Exit code for a failure to start, such as a port in use. */
  static final int EXIT_CANNOT_START = 1;

  private static final String NAME = "ws-manager-sample-app";

  private Main() {}

  /**
   * Starts the app, or prints one line to stderr and exits non-zero.
   *
   * @param args ignored; configuration comes from the environment
   */
  public static void main(String[] args) {
    int status = start(System.getenv(), System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Starts the app and installs the shutdown hook that stops it. The app keeps running on its own
   * threads after this returns.
   *
   * @param env the environment
   * @param err where a failure's one line goes
   * @return 0 once started, {@value #EXIT_BAD_CONFIG} for a bad configuration, {@value
   *     #EXIT_CANNOT_START} if it cannot start
   */
  static int start(Map<String, String> env, PrintStream err) {
    SampleApp app;
    try {
      SampleConfig config = SampleConfig.fromEnv(env);
      Logger log = LoggerFactory.getLogger(Main.class);
      for (String unknown : SampleConfig.unknownVariables(env)) {
        log.warn("ignoring {}: not a variable this app reads (misspelt?)", unknown);
      }
      app = SampleApp.start(config);
    } catch (ConfigException e) {
      err.println(NAME + ": invalid configuration: " + e.getMessage());
      return EXIT_BAD_CONFIG;
    } catch (IOException e) {
      err.println(NAME + ": cannot start: " + e.getMessage());
      return EXIT_CANNOT_START;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
    return 0;
  }
}
