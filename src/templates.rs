//! `--templates-in` / `--templates-out`: the template store saved between
//! runs, so a capture holding only data can be decoded with the templates
//! an earlier capture carried (Open vSwitch re-sends them only every 600 s).

use std::path::Path;

use flowgate_decode::{Decoder, Limits, TemplateStore};

pub fn load(path: &Path) -> Result<Decoder, String> {
    // The error already names the file when it could not be opened.
    let store = TemplateStore::load_from_file(path, Limits::default())
        .map_err(|e| format!("--templates-in {}: {e}", path.display()))?;
    Ok(Decoder::with_store(store))
}

pub fn save(decoder: &Decoder, path: &Path) -> Result<(), String> {
    decoder
        .store()
        .save_to_file(path)
        .map_err(|e| format!("--templates-out {}: {e}", path.display()))
}
