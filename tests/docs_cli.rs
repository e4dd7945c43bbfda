//! docs/cli.md shows the `--help` of the binary and of each subcommand.
//! Each block is the binary's real output, so the page cannot drift:
//! `FLOWGATE_UPDATE_DOCS=1 cargo test --test docs_cli` rewrites the blocks
//! from the binary instead of comparing (then review the diff).

use std::process::Command;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cli.md");
const FENCE: &str = "```text\n$ ";

fn help(args: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_flowgate"))
        .args(args.split_whitespace().skip(1))
        .output()
        .expect("flowgate runs");
    assert!(out.status.success(), "{args}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// (command line, shown output, byte range of the output) of each block.
fn blocks(doc: &str) -> Vec<(String, String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = doc[from..].find(FENCE) {
        let cmd_start = from + i + FENCE.len();
        let cmd_end = cmd_start + doc[cmd_start..].find('\n').unwrap();
        let body_start = cmd_end + 1;
        let body_end = body_start + doc[body_start..].find("```\n").expect("closing fence");
        out.push((
            doc[cmd_start..cmd_end].to_owned(),
            doc[body_start..body_end].to_owned(),
            body_start..body_end,
        ));
        from = body_end + 4;
    }
    out
}

/// The subcommands `flowgate --help` lists, but `help` itself.
fn subcommands() -> Vec<String> {
    let top = help("flowgate --help");
    let list = top.split("Commands:\n").nth(1).expect("a Commands section");
    list.lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn cli_md_shows_the_real_help_of_every_command() {
    let mut doc = std::fs::read_to_string(DOC).expect("docs/cli.md");
    let found = blocks(&doc);
    let mut want = vec!["flowgate --help".to_owned()];
    want.extend(subcommands().iter().map(|c| format!("flowgate {c} --help")));
    let mut shown: Vec<String> = found.iter().map(|b| b.0.clone()).collect();
    shown.sort();
    want.sort();
    assert_eq!(
        shown, want,
        "docs/cli.md must have one ```text block per command, starting with `$ <command>`"
    );
    let update = std::env::var_os("FLOWGATE_UPDATE_DOCS").is_some();
    // Back to front, so that earlier ranges stay valid while rewriting.
    for (cmd, shown, range) in found.into_iter().rev() {
        let real = help(&cmd);
        if update {
            doc.replace_range(range, &real);
        } else {
            assert_eq!(
                shown, real,
                "docs/cli.md differs from `{cmd}`; regenerate with: FLOWGATE_UPDATE_DOCS=1 cargo test --test docs_cli"
            );
        }
    }
    if update {
        std::fs::write(DOC, doc).unwrap();
    }
}
