package dev.wsmanager.sample;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The command line: exit codes, the one-line errors and SIGTERM, in-process and as a process. */
class MainTest {
  private static final String EOL = System.lineSeparator();
  private Process process;

  @AfterEach
  void killProcess() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String run(Map<String, String> env, int expectedStatus) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.start(env, new PrintStream(err, true, UTF_8));
    assertThat(status).isEqualTo(expectedStatus);
    return err.toString(UTF_8);
  }

  @Test
  void aBadValueIsOneLineAndExitCode2() {
    assertThat(run(Map.of("WS_STREAMS", "http://example.com/ws"), 2))
        .isEqualTo(
            "ws-manager-sample-app: invalid configuration: stream 'WS_STREAMS entry 1':"
                + " url must start with ws:// or wss://, was http://example.com/ws"
                + EOL);
  }

  @Test
  void aReservedLabelIsABadConfiguration() {
    assertThat(run(Map.of("PORT", "0", "WS_METRICS_LABELS", "manager=x"), 2))
        .isEqualTo(
            "ws-manager-sample-app: invalid configuration: WS_METRICS_LABELS: constant"
                + " label name 'manager' is reserved; choose another name"
                + EOL);
  }

  @Test
  void aTakenPortIsOneLineAndExitCode1() throws IOException {
    try (ServerSocket taken = new ServerSocket(0)) {
      String err = run(Map.of("PORT", String.valueOf(taken.getLocalPort())), 1);

      assertThat(err)
          .startsWith(
              "ws-manager-sample-app: cannot start: cannot listen on port " + taken.getLocalPort())
          .endsWith("; set PORT to a free port" + EOL)
          .hasLineCount(1);
    }
  }

  /** Starts Main in a new JVM with only {@code env} of our variables set; merges nothing. */
  private Process launch(Map<String, String> env) throws IOException {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder builder =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            classpath,
            Main.class.getName());
    builder
        .environment()
        .keySet()
        .removeIf(name -> SampleConfig.VARIABLES.contains(name) || name.startsWith("WS_"));
    builder.environment().putAll(env);
    process = builder.start();
    process.getOutputStream().close();
    return process;
  }

  /** Reads a stream's lines on a daemon thread into a queue, so reads can have deadlines. */
  private static BlockingQueue<String> lines(java.io.InputStream in) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r = new BufferedReader(new InputStreamReader(in, UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            "process-output");
    reader.setDaemon(true);
    reader.start();
    return lines;
  }

  private static List<String> drain(BlockingQueue<String> queue) {
    List<String> out = new ArrayList<>();
    queue.drainTo(out);
    return out;
  }

  @Test
  void theProcessExitsWith2AndOneLineOnBadConfiguration() throws Exception {
    Process p = launch(Map.of("PORT", "3o00"));

    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exited").isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(new String(p.getErrorStream().readAllBytes(), UTF_8))
        .isEqualTo(
            "ws-manager-sample-app: invalid configuration: PORT must be a number from 0"
                + " to 65535, was '3o00'"
                + EOL);
    assertThat(p.getInputStream().readAllBytes()).isEmpty();
  }

  @Test
  void sigtermClosesEveryStreamAndExitsWithinSeconds() throws Exception {
    Process p = launch(Map.of("PORT", "0"));
    BlockingQueue<String> stderr = lines(p.getErrorStream());
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    Pattern started = Pattern.compile("metrics at http://localhost:(\\d+)/api/ws/metrics");
    int port = -1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (port < 0) {
      String line = stderr.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      assertThat(line).as("a log line before the deadline; so far: %s", log).isNotNull();
      log.add(line);
      Matcher m = started.matcher(line);
      if (m.find()) {
        port = Integer.parseInt(m.group(1));
      }
    }
    int metricsPort = port;
    Eventually.await(
        "five streams are open",
        () -> {
          log.addAll(drain(stderr));
          return log.stream().filter(l -> l.endsWith("CONNECTING -> OPEN")).count() == 5;
        });
    assertThat(Http.send("HEAD", metricsPort, null).statusCode()).isEqualTo(200);

    long sent = System.nanoTime();
    assertThat(p.toHandle().destroy()).as("SIGTERM sent").isTrue(); // keeps the pipes open

    assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("exited within 10 s").isTrue();
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - sent)).isLessThan(6);
    assertThat(p.exitValue()).isEqualTo(143);
    Eventually.await(
        "the log is complete",
        () -> {
          log.addAll(drain(stderr));
          return !log.isEmpty() && log.get(log.size() - 1).endsWith("SampleApp - stopped");
        });
    assertThat(log)
        .anyMatch(l -> l.endsWith("WsManager - closing manager 'sample' with 5 streams"))
        .anyMatch(l -> l.endsWith("WsManager - manager 'sample' closed"))
        .noneMatch(l -> l.contains("Exception"));
    assertThat(log.stream().filter(l -> l.endsWith("CLOSING -> CLOSED"))).hasSize(5);
  }
}
