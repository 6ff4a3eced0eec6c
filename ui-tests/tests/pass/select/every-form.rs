//! Every case form together, in a loop, with control flow in the bodies.
use std::time::Duration;

use goscope::chan::{self, SendError};
use goscope::{after, select};

async fn worker(
    jobs: chan::Receiver<u32>,
    results: chan::Sender<String>,
    quit: chan::Receiver<()>,
) -> Result<usize, String> {
    let mut pending: Option<String> = None;
    let mut sent = 0;
    'run: loop {
        select! {
            biased;
            _ = recv(quit) => break 'run,
            Some(job) = recv(jobs), if pending.is_none() => {
                pending = Some(format!("job {job}"));
            }
            r = send(results, pending.take().unwrap()), if pending.is_some() => {
                r.map_err(|SendError(v)| v)?;
                sent += 1;
            }
            Err(SendError(lost)) = send(&results, "probe".to_owned()), if false => {
                return Err(lost);
            }
            n = async { 1 } , if sent > 100 => sent += n,
            _ = after(Duration::from_secs(5)) => continue,
            recv(quit) => break,
        }
    }
    Ok(sent)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (jobs_tx, jobs) = chan::bounded(4);
    let (results, results_rx) = chan::bounded(4);
    let (quit_tx, quit) = chan::bounded(1);
    let handle = rt.spawn(worker(jobs, results, quit));
    rt.block_on(async {
        jobs_tx.send(1).await.unwrap();
        assert_eq!(results_rx.recv().await.as_deref(), Some("job 1"));
        quit_tx.send(()).await.unwrap();
    });
    assert_eq!(rt.block_on(handle).unwrap(), Ok(1));
}
