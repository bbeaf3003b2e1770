using System.Text;

namespace Dsl.Generators.Emit
{
    /// <summary>An indenting writer with \n line endings, so generated text is identical on every OS.</summary>
    public sealed class SourceWriter
    {
        private readonly StringBuilder sb = new StringBuilder();
        private int indent;

        /// <summary>Writes one line at the current indentation (an empty line has no trailing spaces).</summary>
        public SourceWriter Line(string text = "")
        {
            if (text.Length > 0) sb.Append(' ', indent * 4).Append(text);
            sb.Append('\n');
            return this;
        }

        /// <summary>Writes "{" and indents.</summary>
        public SourceWriter Open(string? header = null)
        {
            if (header != null) Line(header);
            Line("{");
            indent++;
            return this;
        }

        /// <summary>Outdents and writes "}" (with an optional suffix such as ";").</summary>
        public SourceWriter Close(string suffix = "")
        {
            indent--;
            Line("}" + suffix);
            return this;
        }

        /// <inheritdoc/>
        public override string ToString() => sb.ToString();
    }
}
