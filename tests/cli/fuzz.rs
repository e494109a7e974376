//! No input makes a parser panic: arbitrary text, and real fixtures mangled
//! with the characters the formats treat specially.

use camvpn::audit::{self, Format};
use camvpn::formats::uci::{self, Configs};
use proptest::prelude::*;

const FIXTURES: &[&str] = &[
    include_str!("../fixtures/audit/openwrt-firewall"),
    include_str!("../fixtures/audit/iptables-rules"),
    include_str!("../fixtures/audit/ip6tables-rules"),
    include_str!("../fixtures/audit/nft-ruleset.nft"),
    include_str!("../fixtures/audit/fw4-print.nft"),
    include_str!("../fixtures/audit/nvram-show.txt"),
    include_str!("../fixtures/openwrt/network"),
];

const FORMATS: [Format; 5] = [
    Format::Openwrt,
    Format::Iptables,
    Format::Nft,
    Format::Ddwrt,
    Format::Upnp,
];

fn everything(text: &str) {
    let _ = audit::detect(text);
    for f in FORMATS {
        if let Ok(p) = audit::parse(text, "fuzz", f) {
            let _ = audit::analyze(&[p], None);
        }
    }
    let _ = uci::parse(text, "firewall");
    let mut c = Configs::new([uci::parse("config zone 'z'\n", "firewall").unwrap()]);
    let _ = c.batch(text);
}

/// Characters with a meaning in UCI, iptables, nft or nvram syntax.
fn special() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "'",
            "\"",
            "\\",
            "{",
            "}",
            "[",
            "]",
            ">",
            "<",
            ":",
            "-",
            "=",
            "#",
            ";",
            ",",
            "\n",
            " ",
            "\t",
            "/",
            "0",
            "65536",
            "999999999999",
            "dnat",
            "to",
            "dport",
            "config",
            "option",
            "list",
            "@redirect[-1]",
            "::",
            "\u{fffd}",
            " -j DNAT --to-destination ",
            "[2001:db8::1]:",
            "[:",
            " dnat ip to ",
            " tcp dport { ",
            "forward_spec=",
            "x:on:tcp:1>",
            "-A ",
            "*nat\n",
            "*filter\n",
            "chain x {\n",
            "table inet t {\n",
            " -m multiport --dports ",
            "1:65535",
        ]),
        1..6,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(s in "\\PC*") {
        everything(&s);
    }

    #[test]
    fn mangled_fixtures(
        which in 0..FIXTURES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..8, special()), 1..12),
    ) {
        let mut text = FIXTURES[which].to_owned();
        for (at, cut, insert) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            let mut j = (i + cut).min(text.len());
            while !text.is_char_boundary(j) {
                j += 1;
            }
            text.replace_range(i..j, &insert);
        }
        everything(&text);
    }
}
