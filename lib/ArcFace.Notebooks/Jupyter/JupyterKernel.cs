using System.Text;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis.CSharp;
using NetMQ;
using NetMQ.Sockets;

namespace ArcFace.Notebooks.Jupyter;

/// <summary>
/// A Jupyter kernel (messaging protocol 5.3 over ZeroMQ, NetMQ) in front of a <see cref="NotebookSession"/>: shell and
/// control ROUTERs, an iopub PUB, a stdin ROUTER (input is not supported) and a heartbeat REP, all on 127.0.0.1.
/// Shell requests run one at a time on the shell thread; control (interrupt, shutdown, kernel_info) on its own thread.
/// </summary>
public sealed class JupyterKernel : IDisposable
{
    /// <summary>
    /// The largest frame the kernel takes in (64 MiB): a peer that sends a larger one is disconnected before the frame is
    /// buffered. Requests are code and small JSON; without a limit an unauthenticated peer could make the kernel hold
    /// any amount of memory, since signatures are checked only once a whole message is in.
    /// </summary>
    public const int MaxFrameBytes = 64 << 20;

    readonly ConnectionInfo connection;
    readonly byte[] key;
    readonly string session = Guid.NewGuid().ToString("N");
    readonly RouterSocket shell = new(), control = new(), stdin = new();
    readonly PublisherSocket iopub = new();
    readonly ResponseSocket heartbeat = new();
    readonly TextWriter log;
    readonly CancellationTokenSource stopping = new();
    readonly object iopubGate = new();
    readonly List<Thread> threads = [];
    NotebookSession? notebook;
    int executionCount;

    /// <summary>Binds the sockets.</summary>
    /// <exception cref="InputFileException">A port is in use (named with the connection file).</exception>
    public JupyterKernel(ConnectionInfo connection, TextWriter log)
    {
        (this.connection, this.log) = (connection, log);
        key = Encoding.UTF8.GetBytes(connection.Key);
        try
        {
            Bind(shell, "shell_port", connection.ShellPort);
            Bind(control, "control_port", connection.ControlPort);
            Bind(stdin, "stdin_port", connection.StdinPort);
            Bind(iopub, "iopub_port", connection.IopubPort);
            Bind(heartbeat, "hb_port", connection.HbPort);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    void Bind(NetMQSocket socket, string name, int port)
    {
        socket.Options.MaxMsgSize = MaxFrameBytes;
        try { socket.Bind(connection.Endpoint(port)); }
        catch (NetMQException e) { throw new InputFileException(connection.Source, $"cannot listen on {name} {port}: {e.Message}"); }
    }

    /// <summary>Serves until a shutdown request; returns the exit code.</summary>
    public async Task<int> RunAsync()
    {
        Start(new Thread(Heartbeat) { IsBackground = true, Name = "hb" });
        Start(new Thread(Control) { IsBackground = true, Name = "control" });
        Publish("status", new JsonObject { ["execution_state"] = "starting" }, null);
        notebook = await NotebookSession.StartAsync();
        log.WriteLine($"kernel ready on {connection.Ip} (shell {connection.ShellPort})");
        Start(new Thread(Shell) { Name = "shell" }).Join();
        return 0;
    }

    Thread Start(Thread thread)
    {
        lock (threads) threads.Add(thread);
        thread.Start();
        return thread;
    }

    void Heartbeat()
    {
        while (!stopping.IsCancellationRequested)
            if (heartbeat.TryReceiveFrameBytes(TimeSpan.FromMilliseconds(200), out var ping)) heartbeat.SendFrame(ping);
    }

    void Control() => Serve(control, HandleControl);

    void Shell() => Serve(shell, HandleShell);

    // A request that fails, malformed or not, gets an error reply where it names a reply type: the client stops waiting.
    void Serve(RouterSocket socket, Action<RouterSocket, WireMessage> handle)
    {
        while (!stopping.IsCancellationRequested)
        {
            var frames = new List<byte[]>();
            if (!socket.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(200), ref frames)) continue;
            var message = WireMessage.Parse(frames, key, out var problem);
            if (message is null) { log.WriteLine($"dropped a message: {problem}"); continue; }
            Publish("status", new JsonObject { ["execution_state"] = "busy" }, message);
            try
            {
                if (problem is not null) throw new InvalidMessageException(problem);
                handle(socket, message);
            }
            catch (Exception e)
            {
                log.WriteLine(e is InvalidMessageException ? $"{message.Type}: invalid message: {e.Message}" : $"{message.Type} failed: {e}");
                ReplyError(socket, message, e);
            }
            finally { Publish("status", new JsonObject { ["execution_state"] = "idle" }, message); }
        }
    }

    void ReplyError(RouterSocket socket, WireMessage request, Exception e)
    {
        const string Request = "_request";
        if (!request.Type.EndsWith(Request, StringComparison.Ordinal)) return;
        var content = new JsonObject
        {
            ["status"] = "error", ["ename"] = e is InvalidMessageException ? "InvalidMessage" : e.GetType().Name, ["evalue"] = e.Message,
            ["traceback"] = new JsonArray(),
        };
        if (request.Type == "execute_request") content["execution_count"] = executionCount;
        Reply(socket, request, request.Type[..^Request.Length] + "_reply", content);
    }

    void HandleControl(RouterSocket socket, WireMessage request)
    {
        switch (request.Type)
        {
            case "interrupt_request":
                notebook?.Interrupt();
                Reply(socket, request, "interrupt_reply", new JsonObject { ["status"] = "ok" });
                break;
            default: HandleCommon(socket, request); break;
        }
    }

    void HandleShell(RouterSocket socket, WireMessage request)
    {
        switch (request.Type)
        {
            case "execute_request": Execute(socket, request); break;
            case "is_complete_request": Reply(socket, request, "is_complete_reply", IsComplete(request.Text("code") ?? "")); break;
            case "complete_request": Reply(socket, request, "complete_reply", Complete(request)); break;
            case "inspect_request":
                Reply(socket, request, "inspect_reply", new JsonObject { ["status"] = "ok", ["found"] = false, ["data"] = new JsonObject(), ["metadata"] = new JsonObject() });
                break;
            case "history_request": Reply(socket, request, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() }); break;
            case "comm_info_request": Reply(socket, request, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() }); break;
            default: HandleCommon(socket, request); break;
        }
    }

    void HandleCommon(RouterSocket socket, WireMessage request)
    {
        switch (request.Type)
        {
            case "kernel_info_request": Reply(socket, request, "kernel_info_reply", KernelInfo.Reply()); break;
            case "shutdown_request":
                bool restart = request.Flag("restart") ?? false;
                Reply(socket, request, "shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = restart });
                stopping.Cancel();
                break;
            default: log.WriteLine($"unsupported message type '{request.Type}'"); break;
        }
    }

    void Execute(RouterSocket socket, WireMessage request)
    {
        string code = request.Text("code") ?? "";
        bool silent = request.Flag("silent") ?? false;
        bool store = !silent && (request.Flag("store_history") ?? true);
        int count = store ? ++executionCount : executionCount;
        if (!silent) Publish("execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count }, request);
        var sink = new IopubSink(this, request, count, silent);
        var error = string.IsNullOrWhiteSpace(code) ? null : notebook!.ExecuteAsync(code, sink).GetAwaiter().GetResult();
        var reply = new JsonObject { ["status"] = error is null ? "ok" : "error", ["execution_count"] = count };
        if (error is null) { reply["user_expressions"] = new JsonObject(); reply["payload"] = new JsonArray(); }
        else
        {
            reply["ename"] = error.Name;
            reply["evalue"] = error.Value;
            reply["traceback"] = new JsonArray(error.Traceback.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
        }
        Reply(socket, request, "execute_reply", reply);
    }

    /// <summary>complete / incomplete / invalid, as Roslyn parses the code as a script submission.</summary>
    public static JsonObject IsComplete(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(kind: Microsoft.CodeAnalysis.SourceCodeKind.Script));
        string status = SyntaxFactory.IsCompleteSubmission(tree) ? "complete" : "incomplete";
        return new JsonObject { ["status"] = status, ["indent"] = status == "incomplete" ? "    " : "" };
    }

    JsonObject Complete(WireMessage request)
    {
        string code = request.Text("code") ?? "";
        int cursor = Math.Clamp(request.Integer("cursor_pos") ?? code.Length, 0, code.Length);
        var (line, character) = ToLinePosition(code, cursor);
        var (matches, span) = notebook!.CompleteAsync(code, line, character).GetAwaiter().GetResult();
        int start = span is null ? WordStart(code, cursor) : ToOffset(code, span.Start.Line, span.Start.Character);
        int end = span is null ? cursor : ToOffset(code, span.End.Line, span.End.Character);
        string typed = code[start..cursor];
        return new JsonObject
        {
            ["status"] = "ok", ["cursor_start"] = start, ["cursor_end"] = end, ["metadata"] = new JsonObject(),
            ["matches"] = new JsonArray(matches.Where(m => m.StartsWith(typed, StringComparison.OrdinalIgnoreCase)).Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
        };
    }

    static (int Line, int Character) ToLinePosition(string code, int offset)
    {
        int line = 0, lineStart = 0;
        for (int i = 0; i < offset; i++) if (code[i] == '\n') { line++; lineStart = i + 1; }
        return (line, offset - lineStart);
    }

    static int ToOffset(string code, int line, int character)
    {
        int offset = 0;
        for (int l = 0; l < line && offset < code.Length; offset++) if (code[offset] == '\n') l++;
        return Math.Min(offset + character, code.Length);
    }

    static int WordStart(string code, int cursor)
    {
        int i = cursor;
        while (i > 0 && (char.IsLetterOrDigit(code[i - 1]) || code[i - 1] == '_')) i--;
        return i;
    }

    void Reply(RouterSocket socket, WireMessage request, string type, JsonObject content) =>
        socket.SendMultipartBytes(WireMessage.Create(type, content, request, session).ToFrames(key));

    void Publish(string type, JsonObject content, WireMessage? parent)
    {
        var message = WireMessage.Create(type, content, parent, session);
        lock (iopubGate) iopub.SendMultipartBytes(message.ToFrames(key, [Encoding.UTF8.GetBytes(type)]));
    }

    /// <summary>Publishes a cell's outputs on iopub as they come.</summary>
    sealed class IopubSink(JupyterKernel kernel, WireMessage request, int count, bool silent) : IOutputSink
    {
        public void Stream(string name, string text)
        {
            if (!silent) kernel.Publish("stream", new JsonObject { ["name"] = name, ["text"] = text }, request);
        }

        public void Display(string? displayId, IReadOnlyDictionary<string, string> data, bool update)
        {
            if (silent) return;
            var content = new JsonObject { ["data"] = Data(data), ["metadata"] = new JsonObject() };
            if (displayId is not null) content["transient"] = new JsonObject { ["display_id"] = displayId };
            kernel.Publish(update && displayId is not null ? "update_display_data" : "display_data", content, request);
        }

        public void Result(IReadOnlyDictionary<string, string> data)
        {
            if (!silent) kernel.Publish("execute_result", new JsonObject { ["execution_count"] = count, ["data"] = Data(data), ["metadata"] = new JsonObject() }, request);
        }

        public void Error(CellError error) => kernel.Publish("error", new JsonObject
        {
            ["ename"] = error.Name, ["evalue"] = error.Value,
            ["traceback"] = new JsonArray(error.Traceback.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
        }, request);

        static JsonObject Data(IReadOnlyDictionary<string, string> data) => new(data.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
    }

    public void Dispose()
    {
        stopping.Cancel();
        // NetMQ sockets are not thread-safe: disposing one while its thread polls it throws on that thread (and ends the
        // process). The loops see `stopping` within their 200 ms poll; a shell thread stuck in a cell is not waited for.
        lock (threads) foreach (var t in threads.Where(t => t != Thread.CurrentThread)) t.Join(TimeSpan.FromSeconds(2));
        notebook?.Dispose();
        foreach (var s in new NetMQSocket[] { shell, control, stdin, iopub, heartbeat }) s.Dispose();
        NetMQConfig.Cleanup(block: false);
    }
}
