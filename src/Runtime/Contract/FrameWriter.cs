using System.Collections.Concurrent;

namespace NRepl.Runtime.Contract;

/// <summary>
/// Writes frames to a stream from any number of threads. Messages are queued without taking a lock
/// and written by one dedicated thread, in posting order, so a frame is never interleaved with another.
/// </summary>
/// <remarks>
/// Why a lock-free queue and a thread of its own: in the target, eval threads post output while they
/// may have a pending <see cref="Thread.Interrupt"/>; a contended lock there could throw
/// <see cref="ThreadInterruptedException"/> and lose text. And user code that blocks every thread-pool
/// thread must not stop output, results or the Hello from leaving the process.
/// </remarks>
internal sealed class FrameWriter : IDisposable
{
    /// <summary>Frames are gathered up to this size before one write, so a burst of small outputs costs few syscalls.</summary>
    private const int BatchBytes = 64 * 1024;

    private readonly Stream _stream;
    private readonly Action<Exception>? _onFault;
    private readonly ConcurrentQueue<TargetMessage> _queue = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private int _idle;
    private volatile bool _completing;
    private volatile bool _closed;

    /// <param name="stream">The connection; only the writer thread writes to it.</param>
    /// <param name="name">Name of the writer thread (diagnostics).</param>
    /// <param name="onFault">Called once on the writer thread when a write fails; later posts are dropped.</param>
    public FrameWriter(Stream stream, string name, Action<Exception>? onFault = null)
    {
        _stream = stream;
        _onFault = onFault;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Completes when the writer has stopped: after <see cref="Complete"/> drained the queue, or after a write failed.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Queues <paramref name="message"/>. Never blocks. False when the writer is closed or completing.</summary>
    public bool Post(TargetMessage message)
    {
        if (_completing || _closed) return false;
        _queue.Enqueue(message);
        Wake();
        return true;
    }

    /// <summary>
    /// Stops accepting messages; those posted before are still written, then <see cref="Finished"/> completes.
    /// (A post racing with this call may be dropped.)
    /// </summary>
    public void Complete()
    {
        _completing = true;
        Interlocked.Exchange(ref _idle, 0);
        _wake.Set();
    }

    /// <summary>Stops the writer without draining (the stream is owned and closed by the caller).</summary>
    public void Dispose()
    {
        _closed = true;
        Complete();
    }

    private void Wake()
    {
        // Only the poster that flips the writer from idle signals it: one kernel event per burst, not per message.
        if (Interlocked.Exchange(ref _idle, 0) == 1) _wake.Set();
    }

    private void Run()
    {
        var batch = new MemoryStream();
        try
        {
            while (!_closed)
            {
                while (_queue.TryDequeue(out var message))
                {
                    try
                    {
                        FrameCodec.Encode(message, batch);
                    }
                    catch (InvalidDataException)
                    {
                        // Oversized message: Encode already rolled the batch back. Dropping it keeps the link usable.
                        continue;
                    }
                    if (batch.Length >= BatchBytes) Flush(batch);
                }
                if (batch.Length > 0) Flush(batch);
                if (_completing)
                {
                    // Messages may have been queued while the batch was being written; they were posted before Complete.
                    if (_queue.IsEmpty) break;
                    continue;
                }

                Volatile.Write(ref _idle, 1);
                if (!_queue.IsEmpty || _completing)
                {
                    // Something arrived after the drain: take back the idle flag ourselves unless a poster
                    // already did (then its Set makes the WaitOne below return at once).
                    if (Interlocked.Exchange(ref _idle, 0) == 1) continue;
                }
                _wake.WaitOne();
            }
        }
        catch (Exception e)
        {
            _closed = true;
            _onFault?.Invoke(e);
        }
        finally
        {
            _finished.TrySetResult();
        }
    }

    private void Flush(MemoryStream batch)
    {
        _stream.Write(batch.GetBuffer(), 0, (int)batch.Length);
        _stream.Flush();
        batch.SetLength(0);
        if (batch.Capacity > 4 * BatchBytes) batch.Capacity = BatchBytes;
    }
}
