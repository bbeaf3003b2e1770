using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit.Sdk;

namespace Dsl.Testing
{
    /// <summary>
    /// Verify-style snapshots (Verify.Xunit is not served here): text is compared with
    /// <c>Snapshots/&lt;name&gt;.verified.&lt;ext&gt;</c> beside the calling test file. A mismatch writes
    /// <c>&lt;name&gt;.received.&lt;ext&gt;</c> and fails with a unified diff. <c>DSL_ACCEPT_SNAPSHOTS=1</c> accepts
    /// (never under CI=true, where a missing snapshot fails).
    /// </summary>
    public static class Snapshot
    {
        /// <summary>Environment variable that accepts received text as the new snapshot.</summary>
        public const string AcceptVariable = "DSL_ACCEPT_SNAPSHOTS";

        /// <summary>Compares <paramref name="actual"/> with the verified snapshot <paramref name="name"/>.</summary>
        public static void Match(string actual, string name, string extension = "cs", [CallerFilePath] string callerFile = "")
        {
            actual = Normalize(actual);
            var dir = Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots");
            var verified = Path.Combine(dir, name + ".verified." + extension);
            var received = Path.Combine(dir, name + ".received." + extension);
            bool accept = IsSet(AcceptVariable) && !IsSet("CI");
            string? expected = File.Exists(verified) ? Normalize(File.ReadAllText(verified)) : null;
            if (expected == actual)
            {
                if (File.Exists(received)) File.Delete(received);
                return;
            }
            Directory.CreateDirectory(dir);
            if (accept)
            {
                File.WriteAllText(verified, actual, new UTF8Encoding(false));
                if (File.Exists(received)) File.Delete(received);
                return;
            }
            File.WriteAllText(received, actual, new UTF8Encoding(false));
            var message = new StringBuilder();
            message.AppendLine(expected == null
                ? $"No verified snapshot {verified}; wrote {received}."
                : $"Snapshot {name} differs from {verified}; wrote {received}.");
            if (expected != null) message.AppendLine(UnifiedDiff(expected, actual, verified, received));
            message.AppendLine($"To accept: set {AcceptVariable}=1 and rerun, or copy the received file over the verified one.");
            throw new XunitException(message.ToString());
        }

        private static bool IsSet(string variable)
        {
            var v = Environment.GetEnvironmentVariable(variable);
            return v == "1" || string.Equals(v, "true", StringComparison.OrdinalIgnoreCase);
        }

        private static string Normalize(string text) => text.Replace("\r\n", "\n").TrimStart('\uFEFF');

        /// <summary>A unified diff (3 lines of context) of two texts, by longest common subsequence of lines; capped at 200 lines.</summary>
        public static string UnifiedDiff(string expected, string actual, string expectedName = "verified", string actualName = "received")
        {
            var a = expected.Split('\n');
            var b = actual.Split('\n');
            int n = a.Length, m = b.Length;
            var lcs = new int[n + 1, m + 1];
            for (int i = n - 1; i >= 0; i--)
                for (int j = m - 1; j >= 0; j--)
                    lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            var ops = new List<(char Kind, string Line, int A, int B)>();
            int x = 0, y = 0;
            while (x < n || y < m)
            {
                if (x < n && y < m && a[x] == b[y]) { ops.Add((' ', a[x], x, y)); x++; y++; }
                else if (y < m && (x == n || lcs[x, y + 1] >= lcs[x + 1, y])) { ops.Add(('+', b[y], x, y)); y++; }
                else { ops.Add(('-', a[x], x, y)); x++; }
            }
            var sb = new StringBuilder();
            sb.AppendLine("--- " + expectedName).AppendLine("+++ " + actualName);
            int lines = 0;
            for (int k = 0; k < ops.Count; k++)
            {
                if (ops[k].Kind == ' ') continue;
                int start = Math.Max(0, k - 3), end = k;
                while (end < ops.Count && (ops[end].Kind != ' ' || Enumerable.Range(end, Math.Min(7, ops.Count - end)).Any(q => ops[q].Kind != ' '))) end++;
                end = Math.Min(ops.Count, end + 3);
                sb.AppendLine($"@@ -{ops[start].A + 1} +{ops[start].B + 1} @@");
                for (int q = start; q < end; q++)
                {
                    sb.Append(ops[q].Kind).AppendLine(ops[q].Line);
                    if (++lines >= 200) { sb.AppendLine("... (diff truncated)"); return sb.ToString(); }
                }
                k = end - 1;
            }
            return sb.ToString();
        }
    }
}
