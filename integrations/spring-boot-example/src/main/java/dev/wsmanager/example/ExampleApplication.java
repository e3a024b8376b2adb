package dev.wsmanager.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application using the ws-manager starter: the stream in {@code application.yml}
 * connects to the demo feed this application also serves ({@code /demo/feed}), its metrics are at
 * {@code /actuator/prometheus} and {@code /api/ws/metrics}, its health at {@code /actuator/health}.
 */
@SpringBootApplication
public class ExampleApplication {
  public static void main(String[] args) {
    SpringApplication.run(ExampleApplication.class, args);
  }
}
