package dev.wsmanager.bench;

import java.util.ArrayList;
import java.util.List;

/** The results of one run: the summary table's rows and a details section per scenario. */
final class Report {
  /**
   * One goal: which scenario, what was asked, raw OkHttp's and the manager's figures (empty when
   * the scenario measures one side only), the ratio or the single measurement, whether it passed.
   */
  record Row(
      String scenario,
      String goal,
      String raw,
      String manager,
      String measured,
      boolean pass,
      String command) {}

  final List<Row> rows = new ArrayList<>();
  final List<String> sections = new ArrayList<>();
  /** Regression gates that missed: the run exits non-zero when any did. */
  final List<String> failedGates = new ArrayList<>();

  /** A row with one measurement (or the ratio alone) and no per-side figures. */
  void row(String scenario, String goal, String measured, boolean pass, String command) {
    row(scenario, goal, "", "", measured, pass, command);
  }

  /** A row with raw OkHttp's figure, the manager's, and their ratio (median and min–max). */
  void row(
      String scenario,
      String goal,
      String raw,
      String manager,
      String ratio,
      boolean pass,
      String command) {
    rows.add(new Row(scenario, goal, raw, manager, ratio, pass, command));
    System.out.printf(
        "%-28s %-44s raw %s | manager %s | %s %s%n",
        scenario, goal, raw, manager, ratio, pass ? "pass" : "MISS");
  }

  /** A row whose miss is a regression: the whole run then exits with status 1. */
  void gate(String scenario, String goal, String measured, boolean pass, String command) {
    gate(scenario, goal, "", "", measured, pass, command);
  }

  /** {@link #gate(String, String, String, boolean, String)} with per-side figures. */
  void gate(
      String scenario,
      String goal,
      String raw,
      String manager,
      String ratio,
      boolean pass,
      String command) {
    row(scenario, goal, raw, manager, ratio, pass, command);
    if (!pass) {
      failedGates.add(scenario + ": " + goal + " (measured " + ratio + ")");
    }
  }

  void section(String markdown) {
    sections.add(markdown);
  }
}
