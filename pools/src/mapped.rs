//! INDEXED pools: the rows are written once, in chunks of
//! `MAPPED_CHUNK_ROWS`, to an Arrow IPC file in the cache directory, which is
//! then memory-mapped: the pool's arrays point into the map (zero copy), so
//! the heap holds only the hash indexes, and pages are read from disk (and
//! counted as resident) only as picks and lookups touch them. The file is
//! unlinked as soon as it is mapped: the map keeps its pages until the
//! version is dropped or the process ends, and a crash or `kill -9` never
//! leaves a pool-sized file behind.

use crate::Batches;
use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_schema::SchemaRef;
use sdg_engine::pool::{MAPPED_CHUNK_ROWS, Pool, PoolSpec};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Removes the cache file if loading fails before it is mapped.
struct CacheFile(PathBuf);

impl Drop for CacheFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub(crate) fn load(spec: &PoolSpec, schema: SchemaRef, batches: Batches, cache_dir: &Path) -> Result<Pool, String> {
    std::fs::create_dir_all(cache_dir).map_err(|e| {
        format!(
            "cannot create the pool cache directory {}: {e} (set SDG_POOL_CACHE or --pool-cache)",
            cache_dir.display()
        )
    })?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let safe: String =
        spec.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let path = cache_dir.join(format!("{safe}-{}-{nanos}.arrow", std::process::id()));
    let guard = CacheFile(path.clone());
    write(&path, &schema, batches)?;
    let (batches, bytes) = map(&path, &schema)?;
    // Mapped: the directory entry can go (the pages stay until unmapped).
    drop(guard);
    Pool::mapped(schema, batches, MAPPED_CHUNK_ROWS, &spec.index, bytes, Box::new(()))
}

/// Writes the stream re-chunked to exactly `MAPPED_CHUNK_ROWS` rows a batch.
fn write(path: &Path, schema: &SchemaRef, batches: Batches) -> Result<(), String> {
    let file =
        std::fs::File::create(path).map_err(|e| format!("cannot write the pool cache file {}: {e}", path.display()))?;
    let mut w = arrow_ipc::writer::FileWriter::try_new(std::io::BufWriter::with_capacity(1 << 20, file), schema)
        .map_err(|e| e.to_string())?;
    let mut pending: Vec<RecordBatch> = Vec::new();
    let mut held = 0usize;
    let io = |e: arrow_schema::ArrowError| format!("writing the pool cache file {}: {e}", path.display());
    for b in batches {
        let b = b?;
        held += b.num_rows();
        pending.push(b);
        while held >= MAPPED_CHUNK_ROWS {
            let all = arrow_select::concat::concat_batches(schema, &pending).map_err(io)?;
            w.write(&all.slice(0, MAPPED_CHUNK_ROWS)).map_err(io)?;
            let rest = all.slice(MAPPED_CHUNK_ROWS, all.num_rows() - MAPPED_CHUNK_ROWS);
            held = rest.num_rows();
            pending = vec![rest];
        }
    }
    if held > 0 {
        let all = arrow_select::concat::concat_batches(schema, &pending).map_err(io)?;
        w.write(&all).map_err(io)?;
    }
    w.finish().map_err(io)?;
    let mut inner = w.into_inner().map_err(io)?;
    std::io::Write::flush(&mut inner).map_err(|e| e.to_string())?;
    Ok(())
}

/// Maps the file and decodes its batches in place (no copy).
#[allow(unsafe_code)]
fn map(path: &Path, schema: &SchemaRef) -> Result<(Vec<RecordBatch>, usize), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("reading the pool cache file {}: {e}", path.display()))?;
    // SAFETY: the file is private to this process (a fresh name in the cache
    // directory, written just above and removed with the pool); nothing
    // truncates or rewrites it while it is mapped.
    let mmap = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("mapping {}: {e}", path.display()))?;
    let _ = mmap.advise(memmap2::Advice::Random);
    let len = mmap.len();
    let buffer = Buffer::from(bytes::Bytes::from_owner(mmap));
    let bad = |e: &dyn std::fmt::Display| format!("reading the pool cache file {}: {e}", path.display());
    if len < 10 {
        return Err(bad(&"too short"));
    }
    let trailer: [u8; 10] = buffer[len - 10..].try_into().map_err(|_| bad(&"trailer"))?;
    let footer_len = arrow_ipc::reader::read_footer_length(trailer).map_err(|e| bad(&e))?;
    let footer = arrow_ipc::root_as_footer(&buffer[len - 10 - footer_len..len - 10]).map_err(|e| bad(&e))?;
    let decoder = arrow_ipc::reader::FileDecoder::new(Arc::clone(schema), footer.version());
    // SAFETY: the file was written by this process from arrays arrow had
    // already validated (see above), so re-validating every value (which
    // would read the whole file into memory) is skipped.
    let mut decoder = unsafe { decoder.with_skip_validation(true) };
    for block in footer.dictionaries().iter().flatten() {
        let block_len = block.bodyLength() as usize + block.metaDataLength() as usize;
        let data = buffer.slice_with_length(block.offset() as usize, block_len);
        decoder.read_dictionary(block, &data).map_err(|e| bad(&e))?;
    }
    let mut out = Vec::new();
    for block in footer.recordBatches().iter().flatten() {
        let block_len = block.bodyLength() as usize + block.metaDataLength() as usize;
        let data = buffer.slice_with_length(block.offset() as usize, block_len);
        if let Some(b) = decoder.read_record_batch(block, &data).map_err(|e| bad(&e))? {
            out.push(b);
        }
    }
    Ok((out, len))
}
