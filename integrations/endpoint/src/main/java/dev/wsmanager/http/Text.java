package dev.wsmanager.http;

/** Makes client-sent values safe to quote in a one-line response. */
final class Text {
  static final int MAX_QUOTED = 64;

  private Text() {}

  /** Control characters become {@code ?}; more than {@value #MAX_QUOTED} characters are cut. */
  static String oneLine(String value) {
    StringBuilder out = new StringBuilder(Math.min(value.length(), MAX_QUOTED) + 3);
    for (int i = 0; i < value.length() && i < MAX_QUOTED; i++) {
      char c = value.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    if (value.length() > MAX_QUOTED) {
      out.append("...");
    }
    return out.toString();
  }
}
