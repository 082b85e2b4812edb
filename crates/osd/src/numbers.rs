//! The numbers a display shows after its clock (device and officer numbers), as read: digits,
//! `?` for glyphs that are not digits (letters are not learned).

/// Digits a display's device number must show to be compared: a serial of two digits (`MX04`
/// in a font whose letters read as `?`) is a number; one digit is not.
pub const SERIAL_MIN: usize = 2;

/// The digits of a reading (letters are not read: they stand as `?` or a look-alike digit).
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Whether two readings of a display's device number name one device: their serials (two
/// digits or more) are equal, or the longer reading holds the shorter between characters that
/// are not digits (the space before the officer number not seen in one picture, or a shape of
/// the scene read beside it, so that more was read as one group: `?0?????01?011????` beside
/// `0?????01`).
pub fn same_device(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let digit_at = |i: usize| long[i..].starts_with(|c: char| c.is_ascii_digit());
    serial(short).len() >= SERIAL_MIN
        && (serial(short) == serial(long)
            || long.match_indices(short).any(|(i, _)| {
                let before = long[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_digit());
                let after = i + short.len() < long.len() && digit_at(i + short.len());
                !before && !after
            }))
}

/// The digits a device number as read ends with: its serial.
pub fn serial(d: &str) -> &str {
    let start = d
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map_or(d.len(), |(i, _)| i);
    &d[start..]
}

#[cfg(test)]
mod tests {
    use super::same_device;

    #[test]
    fn a_device_number_read_together_with_what_follows_it_is_still_that_device() {
        assert!(same_device("0?????01", "0?????01"));
        assert!(same_device("0?????01?011????", "0?????01"));
        assert!(same_device("?0?????01?011????", "0?????01"));
        assert!(same_device("?????0012", "DSJ-A0012"));
        // Another device: other digits, or the number going on in digits.
        assert!(!same_device("0????4757", "0?????01"));
        assert!(!same_device("0?????011", "0?????01"));
        // A number of one digit names nothing.
        assert!(!same_device("?1", "?1"));
    }

    #[test]
    fn a_serial_is_the_digits_a_reading_ends_with() {
        assert_eq!(super::serial("0?3?40012"), "40012");
        assert_eq!(super::serial("?5????05"), "05");
        assert_eq!(super::serial("0???"), "");
        assert_eq!(super::serial("1234"), "1234");
        assert_eq!(super::serial(""), "");
    }
}
