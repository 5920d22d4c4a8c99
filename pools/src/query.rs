//! `query:` — SQL over a pool's loaded source, with DataFusion. The source
//! is the table named after the pool (and also `source`). DataFusion 55 is
//! built on arrow 55 while sdg uses arrow 60, so batches cross over as Arrow
//! IPC bytes, as in sdg-profile.

use crate::Batches;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use std::sync::Arc;

type DfBatch = datafusion::arrow::record_batch::RecordBatch;

pub(crate) fn run(name: &str, sql: &str, schema: SchemaRef, batches: Batches) -> Result<(SchemaRef, Batches), String> {
    // Over to arrow 55.
    let mut ipc = Vec::new();
    {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut ipc, &schema).map_err(|e| e.to_string())?;
        for b in batches {
            w.write(&b?).map_err(|e| e.to_string())?;
        }
        w.finish().map_err(|e| e.to_string())?;
    }
    let reader = datafusion::arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(ipc), None)
        .map_err(|e| e.to_string())?;
    let df_schema = reader.schema();
    let input: Vec<DfBatch> = reader.collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let (out_schema, out) = rt.block_on(async {
        let ctx = SessionContext::new();
        let table = Arc::new(MemTable::try_new(df_schema, vec![input]).map_err(|e| e.to_string())?);
        ctx.register_table(name, table.clone()).map_err(|e| e.to_string())?;
        if name != "source" {
            ctx.register_table("source", table).map_err(|e| e.to_string())?;
        }
        let df = ctx.sql(sql).await.map_err(|e| format!("the query failed: {e}"))?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let rows: Vec<DfBatch> = df.collect().await.map_err(|e| format!("the query failed: {e}"))?;
        Ok::<_, String>((schema, rows))
    })?;
    // Back to arrow 60.
    let mut bytes = Vec::new();
    {
        let mut w = datafusion::arrow::ipc::writer::StreamWriter::try_new(&mut bytes, &out_schema)
            .map_err(|e| e.to_string())?;
        for b in &out {
            w.write(b).map_err(|e| e.to_string())?;
        }
        w.finish().map_err(|e| e.to_string())?;
    }
    let reader =
        arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None).map_err(|e| e.to_string())?;
    let schema = reader.schema();
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    Ok((schema, Box::new(batches.into_iter().map(Ok))))
}
