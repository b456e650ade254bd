//! Standard output for every command: buffered, and a reader that went away (`| head -1`) ends
//! the program quietly with status 0, as Unix tools do, instead of a panic or an error.

use std::io::{self, Write as _};

use anyhow::Result;

/// Standard output, buffered; a reader that went away (`| head`) ends the program quietly.
pub struct Output {
    w: io::BufWriter<io::Stdout>,
}

impl Output {
    /// Standard output.
    pub fn stdout() -> Output {
        Output {
            w: io::BufWriter::with_capacity(64 << 10, io::stdout()),
        }
    }

    /// Some text.
    pub fn text(&mut self, s: &str) -> Result<()> {
        quiet_on_closed_pipe(self.w.write_all(s.as_bytes()))
    }

    /// One JSON value on one line.
    pub fn json_line<T: serde::Serialize>(&mut self, v: &T) -> Result<()> {
        quiet_on_closed_pipe(
            serde_json::to_writer(&mut self.w, v)
                .map_err(io::Error::from)
                .and_then(|()| self.w.write_all(b"\n")),
        )
    }

    /// One JSON document, indented, written as it is serialised.
    pub fn json_pretty<T: serde::Serialize>(&mut self, v: &T) -> Result<()> {
        quiet_on_closed_pipe(
            serde_json::to_writer_pretty(&mut self.w, v)
                .map_err(io::Error::from)
                .and_then(|()| self.w.write_all(b"\n")),
        )
    }

    /// Flush what is buffered.
    pub fn done(mut self) -> Result<()> {
        quiet_on_closed_pipe(self.w.flush())
    }
}

/// A write that failed because the reader went away ends the program quietly (status 0).
pub fn quiet_on_closed_pipe(r: io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}
