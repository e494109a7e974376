//! QR codes: zbarimg decodes every rendering back to exactly the config.

use std::fs;
use std::path::Path;
use std::process::Command;

use qrcode::{EcLevel, QrCode};

use crate::common::{Site, svg_to_png, tool, zbar};

/// Turns the half-block ANSI rendering back into a PNG, so that zbarimg can
/// judge what a phone would see on the terminal.
fn ansi_to_png(ansi: &str, png: &Path) {
    let scale = 4usize;
    let mut rows: Vec<Vec<bool>> = Vec::new();
    for line in ansi.lines() {
        let mut visible = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else if c != '\r' {
                visible.push(c);
            }
        }
        if visible.is_empty() {
            continue;
        }
        let (mut top, mut bottom) = (Vec::new(), Vec::new());
        for c in visible.chars() {
            let (t, b) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                ' ' => (false, false),
                other => panic!("unexpected character {other:?} in the terminal QR code"),
            };
            top.push(t);
            bottom.push(b);
        }
        rows.push(top);
        rows.push(bottom);
    }
    let w = rows.iter().map(Vec::len).max().unwrap() * scale;
    let h = rows.len() * scale;
    let mut data = vec![255u8; w * h];
    for (y, row) in rows.iter().enumerate() {
        for (x, dark) in row.iter().enumerate() {
            if *dark {
                for dy in 0..scale {
                    for dx in 0..scale {
                        data[(y * scale + dy) * w + x * scale + dx] = 0;
                    }
                }
            }
        }
    }
    let file = fs::File::create(png).unwrap();
    let mut enc = png::Encoder::new(file, u32::try_from(w).unwrap(), u32::try_from(h).unwrap());
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(&data).unwrap();
}

fn visible_width(line: &str) -> usize {
    line.replace("\x1b[30;107m", "")
        .replace("\x1b[0m", "")
        .chars()
        .count()
}

/// Width in modules of a rendered PNG (8 px a module, 4 modules of border).
fn png_modules(png: &Path) -> usize {
    let bytes = fs::read(png).unwrap();
    u32::from_be_bytes(bytes[16..20].try_into().unwrap()) as usize / 8 - 8
}

#[test]
fn png_and_svg_decode_to_exactly_the_config_without_comments() {
    let s = Site::new();
    s.init();
    let out = s.render(&[]);
    let conf = fs::read_to_string(out.join("peers/phone.conf")).unwrap();
    assert!(
        !conf.lines().any(|l| l.trim_start().starts_with('#')),
        "comment in QR payload:\n{conf}"
    );
    assert_eq!(zbar(&out.join("peers/phone.png")), conf);
    let from_svg = s.path("phone-svg.png");
    svg_to_png(&out.join("peers/phone.svg"), &from_svg);
    assert_eq!(zbar(&from_svg), conf);
    // And it is the very config `peer show --config` prints.
    assert_eq!(
        s.cmd()
            .args(["peer", "show", "phone", "--config"])
            .ok()
            .stdout,
        conf
    );
    // A small config uses error correction M.
    assert_eq!(
        png_modules(&out.join("peers/phone.png")),
        QrCode::with_error_correction_level(&conf, EcLevel::M)
            .unwrap()
            .width()
    );
}

#[test]
fn peer_show_qr_formats_decode() {
    let s = Site::new();
    s.init();
    let conf = s
        .cmd()
        .args(["peer", "show", "phone", "--config"])
        .ok()
        .stdout;
    let ansi = s
        .cmd()
        .args(["peer", "show", "phone", "--qr", "ansi"])
        .ok()
        .stdout;
    assert!(ansi.lines().all(|l| visible_width(l) <= 80));
    let png = s.path("ansi.png");
    ansi_to_png(&ansi, &png);
    assert_eq!(zbar(&png), conf);
    let png2 = s.path("show.png");
    s.cmd()
        .args(["peer", "show", "phone", "--qr", "png", "-o"])
        .arg(&png2)
        .ok();
    assert_eq!(zbar(&png2), conf);
    let svg = s
        .cmd()
        .args(["peer", "show", "phone", "--qr", "svg"])
        .ok()
        .stdout;
    fs::write(s.path("show.svg"), svg).unwrap();
    svg_to_png(&s.path("show.svg"), &s.path("show-svg.png"));
    assert_eq!(zbar(&s.path("show-svg.png")), conf);
}

#[test]
fn a_config_too_wide_at_m_falls_back_to_l_and_fits_80_columns() {
    let s = Site::new();
    s.init();
    for (i, n) in ["c1", "c2", "c3", "c4"].iter().enumerate() {
        s.cmd()
            .args(["camera", "add", n, "--ip"])
            // Not adjacent: each stays a host route of its own.
            .arg(format!("192.168.1.{}", 200 + 2 * i))
            .ok();
    }
    let conf = s
        .cmd()
        .args(["peer", "show", "phone", "--config"])
        .ok()
        .stdout;
    let m = QrCode::with_error_correction_level(&conf, EcLevel::M)
        .unwrap()
        .width();
    let l = QrCode::with_error_correction_level(&conf, EcLevel::L)
        .unwrap()
        .width();
    assert!(
        m + 8 > 80 && l + 8 <= 80,
        "test config of {} bytes does not sit between M and L ({m}, {l})",
        conf.len()
    );
    let out = s.render(&[]);
    assert_eq!(png_modules(&out.join("peers/phone.png")), l);
    assert_eq!(zbar(&out.join("peers/phone.png")), conf);
    let ansi = s
        .cmd()
        .args(["peer", "show", "phone", "--qr", "ansi"])
        .ok()
        .stdout;
    assert!(ansi.lines().all(|l| visible_width(l) <= 80));
    ansi_to_png(&ansi, &s.path("wide.png"));
    assert_eq!(zbar(&s.path("wide.png")), conf);
}

/// The lines of a terminal QR code in `out`.
fn qr_lines(out: &str) -> String {
    out.lines()
        .filter(|l| l.contains("\x1b[30;107m"))
        .flat_map(|l| [l, "\n"])
        .collect()
}

#[test]
fn peer_add_on_a_terminal_prints_a_scannable_qr() {
    let s = Site::new();
    s.init();
    // script(1) gives camvpn a pseudo-terminal as standard output.
    let cmd = format!(
        "{} --dir {} peer add tablet",
        crate::common::BIN,
        s.dir().display()
    );
    let out = tool(Command::new("script").args(["-qec", &cmd, "/dev/null"]));
    let conf = s
        .cmd()
        .args(["peer", "show", "tablet", "--config"])
        .ok()
        .stdout;
    let qr = qr_lines(&out);
    assert!(!qr.is_empty(), "no QR code printed on the terminal:\n{out}");
    ansi_to_png(&qr, &s.path("tty.png"));
    assert_eq!(zbar(&s.path("tty.png")), conf);
    // Not on a pipe: no QR, no key.
    let piped = s.cmd().args(["peer", "add", "piped"]).ok();
    assert!(!piped.stdout.contains('\x1b') && !piped.stdout.contains("PrivateKey"));
    // Unless asked for with --qr (ssh without a terminal); one peer only.
    let forced = s.cmd().args(["peer", "add", "forced", "--qr"]).ok().stdout;
    let conf = s
        .cmd()
        .args(["peer", "show", "forced", "--config"])
        .ok()
        .stdout;
    ansi_to_png(&qr_lines(&forced), &s.path("forced.png"));
    assert_eq!(zbar(&s.path("forced.png")), conf);
    let before = s.files();
    let r = s.cmd().args(["peer", "add", "x", "y", "--qr"]).fails(2);
    assert!(
        r.stderr.contains("--qr prints the QR code of one new peer"),
        "{}",
        r.stderr
    );
    s.cmd()
        .args(["peer", "add", "x", "--qr", "--no-qr"])
        .fails(2);
    assert_eq!(before, s.files());
}

/// A site of `n` cameras on every other address of 10.20.0.0/16 (so that no
/// two merge into one prefix) and one peer, `guard`, who may reach them all.
fn big_site(n: usize) -> Site {
    let s = Site::new();
    let mut init = s.cmd().args([
        "-q",
        "init",
        "--platform",
        "linux",
        "--endpoint",
        "vpn.example.net",
        "--wan-if",
        "eth0",
        "--lan-if",
        "br0",
        "--lan",
        "10.20.0.0/16",
        "--peer",
        "guard",
    ]);
    for i in 0..n {
        init =
            init.arg("--camera")
                .arg(format!("cam{i:03}=10.20.{}.{}", i / 100, 2 + 2 * (i % 100)));
    }
    init.ok();
    s
}

#[test]
fn a_config_too_long_for_m_gets_an_l_code_and_one_too_long_for_any_is_exit_2() {
    let s = big_site(150);
    let conf = s
        .cmd()
        .args(["peer", "show", "guard", "--config"])
        .ok()
        .stdout;
    assert!(
        QrCode::with_error_correction_level(&conf, EcLevel::M).is_err()
            && QrCode::with_error_correction_level(&conf, EcLevel::L).is_ok(),
        "a config of {} bytes does not sit between 40-M and 40-L",
        conf.len()
    );
    let out = s.render(&[]);
    assert_eq!(zbar(&out.join("peers/guard.png")), conf);

    let s = big_site(200);
    let out = s.path("too-big");
    let r = s.cmd().args(["render", "--out"]).arg(&out).fails(2);
    assert!(
        r.stderr.contains("peer 'guard'")
            && r.stderr.contains("bytes")
            && r.stderr.contains("--no-qr"),
        "{}",
        r.stderr
    );
    assert!(!out.exists(), "render wrote files before it refused");
    // Without QR codes it renders, and the config is whole.
    s.cmd().args(["render", "--no-qr", "--out"]).arg(&out).ok();
    assert!(
        fs::read_to_string(out.join("peers/guard.conf"))
            .unwrap()
            .len()
            > 2953
    );
}
