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
    readonly ConnectionInfo connection;
    readonly byte[] key;
    readonly string session = Guid.NewGuid().ToString("N");
    readonly RouterSocket shell = new(), control = new(), stdin = new();
    readonly PublisherSocket iopub = new();
    readonly ResponseSocket heartbeat = new();
    readonly TextWriter log;
    readonly CancellationTokenSource stopping = new();
    readonly object iopubGate = new();
    NotebookSession? notebook;
    int executionCount;

    public JupyterKernel(ConnectionInfo connection, TextWriter log)
    {
        (this.connection, this.log) = (connection, log);
        key = Encoding.UTF8.GetBytes(connection.Key);
        shell.Bind(connection.Endpoint(connection.ShellPort));
        control.Bind(connection.Endpoint(connection.ControlPort));
        stdin.Bind(connection.Endpoint(connection.StdinPort));
        iopub.Bind(connection.Endpoint(connection.IopubPort));
        heartbeat.Bind(connection.Endpoint(connection.HbPort));
    }

    /// <summary>Serves until a shutdown request; returns the exit code.</summary>
    public async Task<int> RunAsync()
    {
        var threads = new[] { new Thread(Heartbeat) { IsBackground = true, Name = "hb" }, new Thread(Control) { IsBackground = true, Name = "control" } };
        foreach (var t in threads) t.Start();
        Publish("status", new JsonObject { ["execution_state"] = "starting" }, null);
        notebook = await NotebookSession.StartAsync();
        log.WriteLine($"kernel ready on {connection.Ip} (shell {connection.ShellPort})");
        var shellThread = new Thread(Shell) { Name = "shell" };
        shellThread.Start();
        shellThread.Join();
        return 0;
    }

    void Heartbeat()
    {
        while (!stopping.IsCancellationRequested)
            if (heartbeat.TryReceiveFrameBytes(TimeSpan.FromMilliseconds(200), out var ping)) heartbeat.SendFrame(ping);
    }

    void Control() => Serve(control, HandleControl);

    void Shell() => Serve(shell, HandleShell);

    void Serve(RouterSocket socket, Action<RouterSocket, WireMessage> handle)
    {
        while (!stopping.IsCancellationRequested)
        {
            var frames = new List<byte[]>();
            if (!socket.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(200), ref frames)) continue;
            var message = WireMessage.Parse(frames, key, out var problem);
            if (message is null) { log.WriteLine($"dropped a message: {problem}"); continue; }
            try { handle(socket, message); }
            catch (Exception e) { log.WriteLine($"{message.Type} failed: {e}"); }
        }
    }

    void HandleControl(RouterSocket socket, WireMessage request)
    {
        switch (request.Type)
        {
            case "interrupt_request":
                notebook?.CancelAsync().Wait(TimeSpan.FromSeconds(5));
                Reply(socket, request, "interrupt_reply", new JsonObject { ["status"] = "ok" });
                break;
            default: HandleCommon(socket, request); break;
        }
    }

    void HandleShell(RouterSocket socket, WireMessage request)
    {
        Publish("status", new JsonObject { ["execution_state"] = "busy" }, request);
        try
        {
            switch (request.Type)
            {
                case "execute_request": Execute(socket, request); break;
                case "is_complete_request": Reply(socket, request, "is_complete_reply", IsComplete((string?)request.Content["code"] ?? "")); break;
                case "complete_request": Reply(socket, request, "complete_reply", Complete(request.Content)); break;
                case "inspect_request":
                    Reply(socket, request, "inspect_reply", new JsonObject { ["status"] = "ok", ["found"] = false, ["data"] = new JsonObject(), ["metadata"] = new JsonObject() });
                    break;
                case "history_request": Reply(socket, request, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() }); break;
                case "comm_info_request": Reply(socket, request, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() }); break;
                default: HandleCommon(socket, request); break;
            }
        }
        finally { Publish("status", new JsonObject { ["execution_state"] = "idle" }, request); }
    }

    void HandleCommon(RouterSocket socket, WireMessage request)
    {
        switch (request.Type)
        {
            case "kernel_info_request": Reply(socket, request, "kernel_info_reply", KernelInfo.Reply()); break;
            case "shutdown_request":
                bool restart = (bool?)request.Content["restart"] ?? false;
                Reply(socket, request, "shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = restart });
                stopping.Cancel();
                break;
            default: log.WriteLine($"unsupported message type '{request.Type}'"); break;
        }
    }

    void Execute(RouterSocket socket, WireMessage request)
    {
        string code = (string?)request.Content["code"] ?? "";
        bool silent = (bool?)request.Content["silent"] ?? false;
        bool store = !silent && ((bool?)request.Content["store_history"] ?? true);
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

    JsonObject Complete(JsonObject content)
    {
        string code = (string?)content["code"] ?? "";
        int cursor = Math.Clamp((int?)content["cursor_pos"] ?? code.Length, 0, code.Length);
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
        notebook?.Dispose();
        foreach (var s in new NetMQSocket[] { shell, control, stdin, iopub, heartbeat }) s.Dispose();
        NetMQConfig.Cleanup(block: false);
    }
}
