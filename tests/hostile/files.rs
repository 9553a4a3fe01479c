//! Schema files that are not what they claim: invalid UTF-8, too large,
//! endless. Each is refused naming the file, without reading more than
//! 16 MiB of it.

use std::fs;
use std::io::Write as _;

use ssmconf::Schema;

use crate::schema_error;

const TOO_LARGE: &str =
    "the file is larger than 16 MiB, the most a schema file may be; split it into a directory of smaller files";

/// Invalid UTF-8 of several kinds, in a directory: the error names the
/// file and the line and column (in characters) of the first bad byte.
/// `load.rs` `file_errors` tries one Latin-1 byte in a single file.
#[test]
fn invalid_utf8_in_a_directory() {
    let cases: [(&[u8], usize, usize, &str); 6] = [
        // A UTF-16 file: its byte order mark is not UTF-8.
        (b"\xff\xfea\x00:\x00 \x001\x00", 1, 1, "0xFF"),
        // A continuation byte with nothing before it.
        (b"a: 1\nb: \x80\n", 2, 4, "0x80"),
        // A multi-byte sequence cut short by the end of the line.
        (b"key: caf\xc3\n", 1, 9, "0xC3"),
        // Multi-byte characters before the bad byte count as one column each.
        ("é: ü\nz: ö".as_bytes().iter().chain(b"\xe2\x28\xa1").copied().collect::<Vec<_>>().leak(), 2, 5, "0xE2"),
        // An overlong encoding of `/`.
        (b"a: /x\xc0\xafy\n", 1, 6, "0xC0"),
        // A UTF-16 surrogate half, encoded as if it were a character.
        (b"a: \xed\xa0\x80\n", 1, 4, "0xED"),
    ];
    for (bytes, line, column, byte) in cases {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("good.yml"), "x: 1\n").unwrap();
        let bad = dir.path().join("models_config.yaml");
        fs::write(&bad, bytes).unwrap();
        let (location, key, message, text) = schema_error(Schema::load(dir.path()));
        assert_eq!((location.file.as_path(), location.line, location.column), (bad.as_path(), line, column), "{text}");
        assert_eq!(key, "", "{text}");
        assert_eq!(message, format!("the file is not valid UTF-8 (byte {byte}); save it as UTF-8"), "{text}");
    }
}

/// A real (not sparse) 50 MB file in a directory: refused by its size, with
/// the file named, before it is read.
#[test]
fn fifty_megabytes_in_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.yml");
    let mut file = fs::File::create(&big).unwrap();
    let line =
        "k: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
    let chunk = line.repeat(10_000);
    for _ in 0..(50_000_000 / chunk.len() + 1) {
        file.write_all(chunk.as_bytes()).unwrap();
    }
    drop(file);
    fs::write(dir.path().join("small.yml"), "x: 1\n").unwrap();
    let (location, key, message, text) = schema_error(Schema::load(dir.path()));
    assert_eq!((location.file.as_path(), location.line, location.column), (big.as_path(), 1, 1));
    assert_eq!(key, "");
    assert_eq!(message, TOO_LARGE);
    assert!(text.starts_with(&format!("{}:1:1: ", big.display())), "{text}");
}

/// The 16 MiB boundary: a file of exactly 16 MiB is read, one byte more is
/// refused; the same for text given directly.
#[test]
fn sixteen_mebibytes_exactly() {
    const LIMIT: usize = 16 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edge.yml");
    // One comment line padded to the limit, then a key.
    let tail = "\nk: 1\n";
    let text = format!("#{}{tail}", "x".repeat(LIMIT - 1 - tail.len()));
    assert_eq!(text.len(), LIMIT);
    fs::write(&path, &text).unwrap();
    assert_eq!(Schema::load(&path).unwrap().keys().collect::<Vec<_>>(), ["k"]);
    assert_eq!(Schema::from_yaml_str(&text, "edge.yml").unwrap().len(), 1);

    let over = format!("{text} ");
    fs::write(&path, &over).unwrap();
    let (location, _, message, _) = schema_error(Schema::load(&path));
    assert_eq!((location.file, message.as_str()), (path, TOO_LARGE));
    let (location, _, message, _) = schema_error(Schema::from_yaml_str(&over, "edge.yml"));
    assert_eq!((location.file.to_str(), message.as_str()), (Some("edge.yml"), TOO_LARGE));
}

/// A 50 MB string given directly is refused by its length, not parsed.
#[test]
fn fifty_megabytes_of_text() {
    let text = "a: b\n".repeat(10_000_000);
    let (location, key, message, _) = schema_error(Schema::from_yaml_str(&text, "inline.yml"));
    assert_eq!((location.file.to_str(), location.line, location.column), (Some("inline.yml"), 1, 1));
    assert_eq!((key.as_str(), message.as_str()), ("", TOO_LARGE));
}

/// A device with no end and no size (`/dev/zero` says 0 bytes): reading
/// stops after 16 MiB and the file is refused as too large.
#[cfg(unix)]
#[test]
fn endless_device() {
    let (location, _, message, _) = schema_error(Schema::load("/dev/zero"));
    assert_eq!((location.file.to_str(), message.as_str()), (Some("/dev/zero"), TOO_LARGE));
}

/// Files that are not YAML text at all: NUL bytes, a binary header, a
/// control character. Valid UTF-8, but YAML allows no control characters:
/// each is refused at its line and column, escaped in the message.
#[test]
fn binary_files() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], usize, usize, &str); 5] = [
        ("nul.yml", b"a: 1\nb: \x00\n", 2, 4, "\\0"),
        ("elf.yml", b"\x7fELF\x02\x01\x01", 1, 1, "\\u{7f}"),
        ("bell.yml", b"a: \x07\n", 1, 4, "\\u{7}"),
        ("escape.yml", b"a: x\x1b[2Jy\n", 1, 5, "\\u{1b}"),
        ("c1.yml", "a: \u{9b}31m\n".as_bytes(), 1, 4, "\\u{9b}"),
    ];
    for (name, bytes, line, column, shown) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (location, key, message, text) = schema_error(Schema::load(&path));
        assert_eq!((location.file.as_path(), location.line, location.column), (path.as_path(), line, column), "{text}");
        assert_eq!(key, "");
        assert_eq!(
            message,
            format!(
                "the file holds the control character `{shown}`, which YAML does not allow; remove it (is this a text file?)"
            )
        );
        assert!(!text.chars().any(char::is_control), "{text:?}");
    }
    // Tabs, CR LF line breaks, NEL and a byte order mark are text.
    let ok = dir.path().join("ok.yml");
    std::fs::write(&ok, "\u{feff}a: \"x\ty\"\r\nb: \"\u{85}\"\n").unwrap();
    assert_eq!(Schema::load(&ok).unwrap().keys().collect::<Vec<_>>(), ["a", "b"]);
}
