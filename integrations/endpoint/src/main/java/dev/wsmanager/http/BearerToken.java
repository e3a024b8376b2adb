package dev.wsmanager.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * A bearer token checked in constant time: both sides are hashed first, so neither the position of
 * the first difference nor the length of the expected token shows in the time taken.
 */
final class BearerToken {
  private static final String SCHEME = "bearer ";

  private final byte[] expectedDigest;

  private BearerToken(byte[] expectedDigest) {
    this.expectedDigest = expectedDigest;
  }

  static BearerToken of(String token) {
    return of(token, "bearerToken");
  }

  /** A token checked like {@link #of(String)}; messages name {@code field}. */
  static BearerToken of(String token, String field) {
    if (token.isEmpty()) {
      throw new IllegalArgumentException(field + " must not be empty");
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new IllegalArgumentException(
            field
                + " must be visible ASCII characters without spaces; character "
                + (i + 1)
                + " is not (the token is not shown)");
      }
    }
    return new BearerToken(sha256(token));
  }

  /**
   * Whether {@code authorization} is {@code Bearer <the token>}: the scheme ignores case, one or
   * more spaces follow it, then exactly the token. Nothing else is trimmed, so a token with control
   * characters or tabs around it does not match.
   */
  boolean matches(String authorization) {
    if (authorization == null
        || authorization.length() < SCHEME.length()
        || !authorization.substring(0, SCHEME.length()).toLowerCase(Locale.ROOT).equals(SCHEME)) {
      return false;
    }
    int start = SCHEME.length();
    while (start < authorization.length() && authorization.charAt(start) == ' ') {
      start++;
    }
    String presented = authorization.substring(start);
    return MessageDigest.isEqual(expectedDigest, sha256(presented));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
