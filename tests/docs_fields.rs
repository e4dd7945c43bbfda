//! docs/record.md must list exactly the fields the code renders, so the
//! documentation cannot drift from the record.

use std::collections::BTreeSet;

use flowgate_record::FieldId;

#[test]
fn record_md_lists_every_field_and_no_other() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/record.md"))
        .expect("docs/record.md");
    let documented: BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect();
    let in_code: BTreeSet<String> = FieldId::ALL.iter().map(|f| f.name().to_owned()).collect();
    let missing: Vec<_> = in_code.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&in_code).collect();
    assert!(
        missing.is_empty(),
        "fields not documented in docs/record.md: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "docs/record.md documents fields the code lacks: {stale:?}"
    );
}
