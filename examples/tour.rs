//! A tour of goscope: start tasks, await them, get a panic back as a value, cancel one,
//! fire and forget with the panic hook; channels, select, scopes, all! and race!,
//! generators, the helpers (map, try_for_each, retry, Pool) and the task manager.
//!
//! Run: `cargo run --example tour`

use std::sync::Arc;
use std::time::Duration;

use goscope::select::Select;
use goscope::{Error, all, chan, go, go_blocking, race, scope, select};
use tokio::sync::oneshot;

#[derive(Debug)]
struct User {
    id: u64,
    name: String,
}

/// Calling it starts the task and returns `Task<User>` at once.
#[go]
async fn fetch_user(id: u64) -> User {
    tokio::time::sleep(Duration::from_millis(20)).await;
    User {
        id,
        name: format!("user-{id}"),
    }
}

/// A sync fn on the blocking pool: `Task<u64>`.
#[go(blocking)]
fn checksum(data: Vec<u8>) -> u64 {
    data.iter().map(|&b| u64::from(b)).sum()
}

/// The name shows in `PanicError` and in tracing.
#[go(name = "billing.charge")]
async fn charge(cents: u64) -> u64 {
    if cents == 0 {
        panic!("refusing to charge 0 cents");
    }
    cents
}

struct Mailer {
    from: String,
}

impl Mailer {
    /// Methods take `self: Arc<Self>` (or `self`): the task outlives the call.
    #[go(name = "mailer.send")]
    async fn send(self: Arc<Self>, to: String) -> String {
        format!("{} -> {to}", self.from)
    }
}

#[tokio::main]
pub(crate) async fn main() -> Result<(), Error> {
    // 1. Start tasks; they run while we do other things.
    let alice = fetch_user(1);
    let bob = fetch_user(2);
    let sum = checksum(b"goscope".to_vec());
    let (alice, bob, sum) = (alice.await?, bob.await?, sum.await?);
    println!(
        "1. fetched {} ({}) and {} ({}), checksum {sum}",
        alice.name, alice.id, bob.name, bob.id
    );

    let mailer = Arc::new(Mailer {
        from: "noreply@example.com".into(),
    });
    println!(
        "   mailer: {}",
        mailer.send("alice@example.com".into()).await?
    );

    // 2. A panic is a value: message, location and task name, never lost.
    match charge(0).await {
        Err(Error::Panicked(p)) => {
            println!("2. captured: {p}");
            println!(
                "   message = {:?}, location = {}, task = {:?}, spawned at = {}",
                p.message(),
                p.location().map_or("?".to_string(), ToString::to_string),
                p.task_name(),
                p.spawned_at().map_or("?".to_string(), ToString::to_string),
            );
        }
        other => println!("2. unexpected: {other:?}"),
    }

    // 3. Cancel a task: it stops at its next `.await`. Dropping a `Task` cancels it too.
    let slow = go(async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        "never"
    });
    slow.cancel();
    println!(
        "3. cancel requested: is_cancelled = {}",
        slow.is_cancelled()
    );
    println!("   result: {:?}", slow.await);
    let late = go(tokio::time::sleep(Duration::from_secs(3600)));
    println!(
        "   with a deadline: {:?}",
        late.timeout(Duration::from_millis(10)).await
    );

    // 4. Fire and forget: a detached task's panic reaches the hook (and stderr).
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    goscope::set_panic_hook(move |p| {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(p.to_string());
        }
    });
    go(async { panic!("background job failed") }).detach();
    println!("4. the hook saw: {}", rx.await.unwrap());

    // 5. Blocking code that waits for a task from a plain thread.
    let task = go(async { 6 * 7 });
    let answer = go_blocking(move || task.wait_blocking()).await??;
    println!("5. waited from the blocking pool: {answer}");

    // 6. Channels: a producer task and a consumer; dropping the sender closes the channel.
    let (tx, rx) = chan::bounded(0); // rendezvous, like Go's `make(chan T)`
    let producer = go(async move {
        for job in ["resize", "encode", "upload"] {
            tx.send(job.to_owned())
                .await
                .expect("the consumer is listening");
        }
    });
    let mut done = Vec::new();
    while let Some(job) = rx.recv().await {
        done.push(job);
    }
    producer.await?;
    println!("6. consumed {done:?}");

    // 7. select!: a worker that takes jobs, reports results with a send that is retried
    //    until it goes through (a losing send builds nothing), and stops on quit or when
    //    idle for too long.
    let (jobs_tx, jobs) = chan::bounded::<u32>(4);
    let (results_tx, results) = chan::bounded::<String>(0);
    let (quit_tx, quit) = chan::bounded::<()>(1);
    let worker = go(async move {
        let mut pending: Option<String> = None;
        let mut built = 0;
        loop {
            select! {
                Some(job) = recv(jobs), if pending.is_none() => {
                    built += 1;
                    pending = Some(format!("job {job} done"));
                }
                send(results_tx, pending.take().unwrap()), if pending.is_some() => {}
                _ = recv(quit) => break,
                _ = after(Duration::from_secs(1)) => break,
            }
        }
        built
    });
    for job in 1..=3 {
        jobs_tx.send(job).await.expect("the worker is running");
    }
    for _ in 1..=3 {
        println!("7. select! worker reported: {:?}", results.recv().await);
    }
    quit_tx.send(()).await.expect("room for one");
    println!("   worker stopped after {} jobs", worker.await?);

    // 8. The same engine without the macro, for cases known only at run time.
    let (results, results_rx) = chan::bounded::<String>(1);
    let (quit, quit_rx) = chan::bounded::<()>(1);
    quit.send(()).await.expect("room for one");
    let mut sel = Select::new();
    sel.recv(&quit_rx, |_| "quit received");
    sel.send(
        &results,
        || "an expensive report".to_owned(),
        |_| "report sent",
    );
    println!("8. Select builder chose: {}", sel.await);
    drop(results_rx);

    // 9. scope!: children that cannot outlive the block. One borrows from here, one runs
    //    in parallel; the first failure cancels the rest and is the result.
    let names = ["ada".to_owned(), "grace".to_owned()];
    let (letters, id) = scope!(limit = 4, |s| {
        let letters = s.spawn_local(async { Ok(names.iter().map(String::len).sum::<usize>()) });
        let id = s.spawn(async { Ok::<_, Error>(fetch_user(7).await?.id) });
        Ok((letters.await?, id.await?))
    })?;
    println!("9. scope! joined: {letters} letters, user {id}");
    let failed: Result<(), Error> = scope!(|s| {
        s.spawn(async {
            // Cancelled when its sibling fails: dropped at this `.await`, never finishing.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            println!("   (never printed)");
            Ok(())
        });
        s.spawn(async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Err::<(), _>(Error::TimedOut(Duration::from_millis(5)))
        });
        Ok(())
    });
    println!("   the first failure is the result: {failed:?}");

    // 10. all! and race!: join a fixed set of futures (in this task, no allocation), or
    //     take the first to finish. A `?` branch's `Err` returns at once.
    let (a, b) = all!(after_ms(20, "left"), after_ms(10, "right"));
    println!("10. all! joined {a} and {b}, outputs in branch order");
    let first = race!(after_ms(30, "eu"), after_ms(10, "us"));
    println!("    race! winner: {first} (the loser was dropped)");
    let late = race!(timeout = Duration::from_millis(5), after_ms(50, "too slow"));
    println!("    race! with a deadline: {late:?}");
    let source = race!(ok: async { Err::<&str, _>("cache: miss") }, async { Ok("db") });
    println!("    first successful source: {source:?}");
    let outcomes = goscope::settle((1..=3).map(|i| async move {
        if i == 2 {
            panic!("job {i} failed");
        }
        i
    }))
    .await;
    let summary: Vec<_> = outcomes
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.to_string(), |v| v.to_string()))
        .collect();
    println!("    settle kept every outcome: {summary:?}");

    // 11. Generators: a body that yields becomes a lazy iterator (or, `async`, a stream).
    let mut firsts = fibonacci().take(8);
    let first_eight: Vec<u64> = firsts.by_ref().collect();
    println!("11. the first Fibonacci numbers, computed on demand: {first_eight:?}");
    let evens: Vec<u32> = goscope::iter! {
        for n in 0..10u32 {
            if n % 2 == 0 {
                yield n;
            }
        }
    }
    .collect();
    println!("    iter! with a bare yield: {evens:?}");
    let mut stream = paged(3);
    let mut pages = Vec::new();
    while let Some(page) = stream.next().await {
        pages.push(page);
    }
    println!("    an async generator fetched {pages:?}");

    // 12. Helpers: bounded fan-out in parallel tasks, retry with backoff, a worker pool.
    let users = vec!["ada", "grace", "linus", "barbara", "ken"];
    let greetings = goscope::map(users, 3, |user| async move {
        tokio::time::sleep(Duration::from_millis(1)).await; // notify `user`
        format!("hi {user}")
    })
    .await?;
    println!("12. map notified 5 users, at most 3 at a time: {greetings:?}");
    let outcomes = goscope::try_for_each(1..=4u32, 2, |job| async move {
        if job == 3 {
            Err(Error::TimedOut(Duration::from_millis(job.into())))
        } else {
            Ok(())
        }
    })
    .await;
    println!("    try_for_each kept a slot per job: {outcomes:?}");
    let mut log = Vec::new();
    let page = goscope::retry(|attempt| async move {
        if attempt < 3 {
            Err(format!("attempt {attempt} failed"))
        } else {
            Ok("the page")
        }
    })
    .attempts(4)
    .delay(Duration::from_millis(2))
    .notify(|e, _, next| log.push(format!("{e}, retrying in {next:?}")))
    .await;
    println!("    retry got {page:?} after: {log:?}");
    let pool = goscope::Pool::new(10);
    let mut jobs = Vec::new();
    for n in 1..=20u64 {
        jobs.push(pool.submit(async move { n * n }).await);
    }
    pool.close();
    pool.wait().await;
    let mut sum = 0;
    for job in jobs {
        sum += job.await?;
    }
    println!("    a pool of 10 workers summed 20 squares: {sum}");

    // 13. The task manager: services initialised in order, executed in parallel until a
    //     shutdown, cleaned up in reverse order (`cargo run --example service` for more).
    let mut manager = goscope::manager::Manager::new();
    manager.add(goscope::manager::Ticker::new(
        "heartbeat",
        Duration::from_millis(5),
        || async { Ok(()) },
    ));
    manager.add_execute("worker", |ctx| async move {
        ctx.cancelled().await; // works until the shutdown
        Ok(())
    });
    let shutdown = manager.shutdown_token();
    goscope::go(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        shutdown.cancel();
    })
    .detach();
    match manager.run().await {
        Ok(()) => println!("13. the manager ran a ticker and a worker, then stopped cleanly"),
        Err(e) => println!("13. the manager failed: {e}"),
    }
    Ok(())
}

#[goscope::generator]
fn fibonacci() -> goscope::Generator<u64> {
    let (mut a, mut b) = (0u64, 1u64);
    loop {
        goscope::yield_!(a);
        (a, b) = (b, a + b);
    }
}

#[goscope::generator]
async fn paged(count: u32) -> goscope::AsyncGenerator<String> {
    for page in 1..=count {
        tokio::time::sleep(Duration::from_millis(1)).await; // a simulated request
        goscope::yield_!(format!("page {page}"));
    }
}

async fn after_ms(ms: u64, what: &'static str) -> &'static str {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    what
}
