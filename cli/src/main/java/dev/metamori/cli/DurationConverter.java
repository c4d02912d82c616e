package dev.metamori.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A positive duration as people type it, {@code 30m}, {@code 1h}, {@code 2d}, {@code 1h30m}
 * (units {@code d}, {@code h}, {@code m}, {@code s}), or in ISO-8601, {@code PT1H}, {@code P2D}.
 */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern SHORT = Pattern.compile("(?:[0-9]+[dhms])+");
  private static final Pattern PART = Pattern.compile("([0-9]+)([dhms])");

  @Override
  public Duration convert(String value) {
    Duration d = parse(value.trim().toLowerCase(Locale.ROOT), value);
    if (d.isNegative() || d.isZero()) {
      throw new TypeConversionException("'" + value + "' is not a positive duration");
    }
    return d;
  }

  private static Duration parse(String s, String value) {
    try {
      if (SHORT.matcher(s).matches()) {
        Duration d = Duration.ZERO;
        Matcher m = PART.matcher(s);
        while (m.find()) {
          long n = Long.parseLong(m.group(1));
          switch (m.group(2)) {
            case "d":
              d = d.plus(Duration.ofDays(n));
              break;
            case "h":
              d = d.plus(Duration.ofHours(n));
              break;
            case "m":
              d = d.plus(Duration.ofMinutes(n));
              break;
            default:
              d = d.plus(Duration.ofSeconds(n));
          }
        }
        return d;
      }
      return Duration.parse(s);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new TypeConversionException("'" + value + "' is too long a duration");
    } catch (DateTimeParseException e) {
      throw new TypeConversionException(
          "'" + value + "' is not a duration: give e.g. 30m, 1h, 2d, 1h30m or ISO-8601 PT1H");
    }
  }
}
