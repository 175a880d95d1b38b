// The benchmark backend: answers every GET with the same ~100-byte JSON body.
// Run with --urls http://127.0.0.1:PORT. Logging is off so it costs as little CPU as possible.

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);

var app = builder.Build();

var body = """{"id":42,"name":"tollgate-bench","status":"ok","values":[1,2,3,4,5],"message":"hello from backend"}"""u8.ToArray();

app.MapGet("/{**path}", (HttpContext context) =>
{
    context.Response.StatusCode = StatusCodes.Status200OK;
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = body.Length;
    return context.Response.Body.WriteAsync(body).AsTask();
});

app.Run();
