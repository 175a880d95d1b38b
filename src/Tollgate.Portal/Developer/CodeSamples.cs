using System.Text;

namespace Tollgate.Portal.Developer;

/// <summary>A code sample: its language's name (as shown) and text.</summary>
public sealed record CodeSample(string Id, string Language, string Code);

/// <summary>
/// Code samples for one request (curl, C#, Python, JavaScript), as the operation page shows them and Try it copies
/// them: the URL, method, headers and body exactly as given, each literal escaped for its language.
/// </summary>
public static class CodeSamples
{
    public static IReadOnlyList<CodeSample> For(string method, string url, IReadOnlyList<KeyValuePair<string, string>> headers, string? body) =>
    [
        new("curl", "curl", Curl(method, url, headers, body)),
        new("csharp", "C#", CSharp(method, url, headers, body)),
        new("python", "Python", Python(method, url, headers, body)),
        new("javascript", "JavaScript", JavaScript(method, url, headers, body)),
    ];

    /// <summary>A curl command (POSIX shell quoting).</summary>
    public static string Curl(string method, string url, IReadOnlyList<KeyValuePair<string, string>> headers, string? body)
    {
        var text = new StringBuilder("curl -X ").Append(method).Append(' ').Append(Shell(url));
        foreach (var (name, value) in headers)
        {
            text.Append(" \\\n  -H ").Append(Shell(name + ": " + value));
        }

        if (!string.IsNullOrEmpty(body))
        {
            text.Append(" \\\n  --data-raw ").Append(Shell(body));
        }

        return text.ToString();
    }

    private static string CSharp(string method, string url, IReadOnlyList<KeyValuePair<string, string>> headers, string? body)
    {
        var text = new StringBuilder("using var client = new HttpClient();\n")
            .Append("using var request = new HttpRequestMessage(new HttpMethod(").Append(CString(method)).Append("), ").Append(CString(url)).Append(");\n");
        var contentType = headers.FirstOrDefault(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value;
        foreach (var (name, value) in headers.Where(h => !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
        {
            text.Append("request.Headers.TryAddWithoutValidation(").Append(CString(name)).Append(", ").Append(CString(value)).Append(");\n");
        }

        if (!string.IsNullOrEmpty(body))
        {
            text.Append("request.Content = new StringContent(").Append(CString(body)).Append(");\n");
            if (contentType is not null)
            {
                text.Append("request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(").Append(CString(contentType)).Append(");\n");
            }
        }

        return text.Append("using var response = await client.SendAsync(request);\n")
            .Append("Console.WriteLine((int)response.StatusCode);\n")
            .Append("Console.WriteLine(await response.Content.ReadAsStringAsync());").ToString();
    }

    private static string Python(string method, string url, IReadOnlyList<KeyValuePair<string, string>> headers, string? body)
    {
        var text = new StringBuilder("import requests\n\nheaders = {\n");
        foreach (var (name, value) in headers)
        {
            text.Append("    ").Append(PyString(name)).Append(": ").Append(PyString(value)).Append(",\n");
        }

        text.Append("}\n");
        if (!string.IsNullOrEmpty(body))
        {
            text.Append("body = ").Append(PyString(body)).Append('\n');
        }

        return text.Append("response = requests.request(").Append(PyString(method)).Append(", ").Append(PyString(url)).Append(", headers=headers")
            .Append(string.IsNullOrEmpty(body) ? "" : ", data=body.encode(\"utf-8\")").Append(")\n")
            .Append("print(response.status_code)\nprint(response.text)").ToString();
    }

    private static string JavaScript(string method, string url, IReadOnlyList<KeyValuePair<string, string>> headers, string? body)
    {
        var text = new StringBuilder("const response = await fetch(").Append(CString(url)).Append(", {\n  method: ").Append(CString(method)).Append(",\n  headers: {\n");
        foreach (var (name, value) in headers)
        {
            text.Append("    ").Append(CString(name)).Append(": ").Append(CString(value)).Append(",\n");
        }

        text.Append("  },\n");
        if (!string.IsNullOrEmpty(body))
        {
            text.Append("  body: ").Append(CString(body)).Append(",\n");
        }

        return text.Append("});\nconsole.log(response.status);\nconsole.log(await response.text());").ToString();
    }

    /// <summary>A single-quoted shell word ('it'\''s').</summary>
    public static string Shell(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A double-quoted C#/JavaScript string literal.</summary>
    private static string CString(string text)
    {
        var s = new StringBuilder("\"");
        foreach (var c in text)
        {
            s.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return s.Append('"').ToString();
    }

    private static string PyString(string text) => CString(text);
}
