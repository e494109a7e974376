//! QR codes of peer configs, for the WireGuard phone apps.
//!
//! Error correction is M (15 % of the code can be damaged: a smudged screen,
//! a printed sheet with a crease) unless the code would then be wider than an
//! 80-column terminal or the payload does not fit M at all, in which case L
//! is used: a code that fits the terminal scans; one that wraps does not. PNG and SVG use the same code, so every
//! rendering of a peer's QR carries the same symbol.

use std::fmt;
use std::fmt::Write as _;

use fast_qr::{ECL, QRBuilder};

use crate::error::{Error, Result};

/// Columns of the terminal the ANSI rendering must fit.
pub const TERMINAL_COLUMNS: usize = 80;
/// The quiet zone (white border) of a QR code, in modules, as the standard asks.
pub const QUIET_ZONE: usize = 4;
/// What an SVG file starts with, before [`Qr::svg_inline`].
pub const SVG_DECLARATION: &str = "<?xml version=\"1.0\" standalone=\"yes\"?>\n";
/// The most bytes a QR code holds: version 40 at level L (ISO/IEC 18004,
/// table 7).
pub const MAX_BYTES: usize = 2953;
/// Pixels per module in PNG output.
pub const PNG_SCALE: u32 = 8;

/// How a QR code is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrFormat {
    /// Unicode half blocks with ANSI colours, for a terminal.
    Ansi,
    /// A PNG image.
    Png,
    /// An SVG image.
    Svg,
}

impl fmt::Display for QrFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QrFormat::Ansi => "ansi",
            QrFormat::Png => "png",
            QrFormat::Svg => "svg",
        })
    }
}

/// The error correction levels camvpn uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcLevel {
    /// 7 % of the code can be restored.
    L,
    /// 15 % of the code can be restored.
    M,
}

/// A QR code of a payload.
pub struct Qr {
    ec_level: EcLevel,
    width: usize,
    /// Whether each module (without quiet zone) is dark, row by row.
    dark: Vec<bool>,
}

impl Qr {
    /// Encodes `payload` with M, or L when M would not fit the terminal or
    /// not hold the payload at all; an [`Error::Limit`] when L cannot either.
    pub fn new(payload: &str) -> Result<Self> {
        let make = |ec_level| {
            let ecl = match ec_level {
                EcLevel::L => ECL::L,
                EcLevel::M => ECL::M,
            };
            let code = QRBuilder::new(payload).ecl(ecl).build().map_err(|_| {
                Error::Limit(format!(
                    "{} bytes do not fit in a QR code (at most {MAX_BYTES})",
                    payload.len()
                ))
            })?;
            let width = code.size;
            let dark = (0..width)
                .flat_map(|y| code[y][..width].iter().map(|m| m.value()))
                .collect();
            Ok::<_, Error>(Qr {
                ec_level,
                width,
                dark,
            })
        };
        match make(EcLevel::M) {
            Ok(m) if m.terminal_columns() <= TERMINAL_COLUMNS => Ok(m),
            // Too wide for a terminal, or too long for M: L holds more.
            _ => make(EcLevel::L),
        }
    }

    /// The error correction level used.
    pub fn ec_level(&self) -> EcLevel {
        self.ec_level
    }

    /// Width in modules, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Columns the terminal rendering needs.
    pub fn terminal_columns(&self) -> usize {
        self.width() + 2 * QUIET_ZONE
    }

    /// Black on white half blocks, two modules a character cell, with
    /// explicit colours so that it scans on dark and light terminals alike.
    pub fn ansi(&self) -> String {
        let side = self.terminal_columns();
        // With the quiet zone: modules outside the code are light.
        let dark = |x: usize, y: usize| {
            let (x, y) = (x.wrapping_sub(QUIET_ZONE), y.wrapping_sub(QUIET_ZONE));
            x < self.width && y < self.width && self.dark[y * self.width + x]
        };
        let mut out = String::with_capacity((side * 3 + 16) * side.div_ceil(2));
        for y in (0..side).step_by(2) {
            out.push_str("\x1b[30;107m");
            for x in 0..side {
                out.push(match (dark(x, y), dark(x, y + 1)) {
                    (true, true) => '\u{2588}',
                    (true, false) => '\u{2580}',
                    (false, true) => '\u{2584}',
                    (false, false) => ' ',
                });
            }
            out.push_str("\x1b[0m\n");
        }
        out
    }

    /// An SVG image.
    pub fn svg(&self) -> String {
        format!("{SVG_DECLARATION}{}", self.svg_inline())
    }

    /// The SVG without its XML declaration, for inlining into HTML: one path
    /// of horizontal runs in module units, scaled by the viewBox, which is a
    /// fifth of the size of one square per module.
    pub fn svg_inline(&self) -> String {
        self.svg_scaled(PNG_SCALE as usize)
    }

    /// The SVG drawn as near `box_px` pixels wide as a whole number of
    /// pixels per module allows (at least one): modules of fractional
    /// pixels blur, and some decoders then miss the code.
    pub fn svg_fitting(&self, box_px: usize) -> String {
        let side = self.width() + 2 * QUIET_ZONE;
        self.svg_scaled((box_px / side).max(1))
    }

    /// The SVG at `scale` pixels per module.
    fn svg_scaled(&self, scale: usize) -> String {
        let w = self.width();
        let side = w + 2 * QUIET_ZONE;
        let px = side * scale;
        let dark = &self.dark;
        let mut path = String::with_capacity(w * w);
        for y in 0..w {
            let mut x = 0;
            while x < w {
                if dark[y * w + x] {
                    let start = x;
                    while x < w && dark[y * w + x] {
                        x += 1;
                    }
                    let run = x - start;
                    let _ = write!(
                        path,
                        "M{} {}h{run}v1h-{run}z",
                        start + QUIET_ZONE,
                        y + QUIET_ZONE
                    );
                } else {
                    x += 1;
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{px}\" height=\"{px}\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>\n"
        )
    }

    /// A 1-bit greyscale PNG image.
    pub fn png(&self) -> Vec<u8> {
        let w = self.width();
        let scale = PNG_SCALE as usize;
        let side = (w + 2 * QUIET_ZONE) * scale;
        let row_bytes = side.div_ceil(8);
        let dark = &self.dark;
        // In greyscale 1 is white: start white, build each module row once
        // and copy it into its pixel rows.
        let mut data = vec![0xffu8; row_bytes * side];
        let mut row = vec![0u8; row_bytes];
        for my in 0..w {
            row.fill(0xff);
            for mx in (0..w).filter(|&mx| dark[my * w + mx]) {
                let x0 = (mx + QUIET_ZONE) * scale;
                for x in x0..x0 + scale {
                    row[x / 8] &= !(0x80 >> (x % 8));
                }
            }
            let y0 = (my + QUIET_ZONE) * scale;
            for y in y0..y0 + scale {
                data[y * row_bytes..(y + 1) * row_bytes].copy_from_slice(&row);
            }
        }
        let mut out = Vec::with_capacity(data.len() / 8);
        let side32 = u32::try_from(side).expect("a QR code is small");
        let mut enc = png::Encoder::new(&mut out, side32, side32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().expect("writing to memory");
        w.write_image_data(&data).expect("writing to memory");
        w.finish().expect("writing to memory");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_payload_gets_m() {
        let q = Qr::new(&"x".repeat(200)).unwrap();
        assert_eq!(q.ec_level(), EcLevel::M);
        assert!(q.terminal_columns() <= TERMINAL_COLUMNS);
    }

    #[test]
    fn payload_too_wide_at_m_falls_back_to_l() {
        // 340 bytes need version 14 (73 modules) at M but 12 (65) at L
        // (byte capacities of ISO/IEC 18004 table 7: 14-M 362, 12-L 367).
        let q = Qr::new(&"x".repeat(340)).unwrap();
        assert_eq!(q.ec_level(), EcLevel::L);
        assert_eq!(q.width(), 65);
        assert!(q.terminal_columns() <= TERMINAL_COLUMNS);
    }

    #[test]
    fn payload_too_long_for_m_gets_l_and_one_too_long_for_l_is_a_limit() {
        // 40-M holds 2331 bytes, 40-L 2953.
        let q = Qr::new(&"x".repeat(2450)).unwrap();
        // 37-L (165 modules) holds 2543, 36-L 2420.
        assert_eq!((q.ec_level(), q.width()), (EcLevel::L, 165));
        let q = Qr::new(&"x".repeat(MAX_BYTES)).unwrap();
        assert_eq!(q.ec_level(), EcLevel::L);
        let err = Qr::new(&"x".repeat(MAX_BYTES + 1)).err().unwrap();
        assert!(
            err.is_input() && err.to_string().contains("2954 bytes"),
            "{err}"
        );
    }

    #[test]
    fn the_page_svg_has_whole_pixels_per_module() {
        let q = Qr::new(&"x".repeat(200)).unwrap();
        let side = q.width() + 2 * QUIET_ZONE;
        let svg = q.svg_fitting(360);
        let px = (360 / side) * side;
        assert!(px <= 360 && px + side > 360, "{px} for {side} modules");
        assert!(
            svg.contains(&format!("width=\"{px}\" height=\"{px}\"")),
            "{svg}"
        );
        // A code wider than the box still gets one pixel a module.
        let big = Qr::new(&"x".repeat(2900)).unwrap();
        let side = big.width() + 2 * QUIET_ZONE;
        assert!(big.svg_fitting(100).contains(&format!("width=\"{side}\"")));
    }

    #[test]
    fn ansi_lines_fit_and_reset_colours() {
        let q = Qr::new("hello").unwrap();
        let a = q.ansi();
        for line in a.lines() {
            assert!(line.ends_with("\x1b[0m"));
            let visible = line
                .trim_start_matches("\x1b[30;107m")
                .trim_end_matches("\x1b[0m");
            assert_eq!(visible.chars().count(), q.terminal_columns());
        }
    }

    #[test]
    fn png_has_the_right_size() {
        let q = Qr::new("hello").unwrap();
        let png = q.png();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let side = (q.width() + 2 * QUIET_ZONE) * PNG_SCALE as usize;
        // IHDR width and height, big endian.
        assert_eq!(
            u32::from_be_bytes(png[16..20].try_into().unwrap()) as usize,
            side
        );
        assert_eq!(
            u32::from_be_bytes(png[20..24].try_into().unwrap()) as usize,
            side
        );
    }
}
