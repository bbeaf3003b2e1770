using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using Dsl.Symbolic.Ir;
using Xunit.Abstractions;

namespace Dsl.Symbolic.Tests.Properties
{
    /// <summary>The generator covers the IR: no operation escapes the property tests.</summary>
    public class CatalogTests
    {
        private readonly ITestOutputHelper output;
        public CatalogTests(ITestOutputHelper output) { this.output = output; }

        [Fact]
        public void Every_op_of_the_IR_is_in_the_catalog()
        {
            var missing = Enum.GetValues<Op>().Where(op => !Catalog.Specs.ContainsKey(op)).ToList();
            Assert.True(missing.Count == 0,
                "operations of the IR the property-test generator does not know (add them to Catalog.Build with their forms and operand domains): "
                + string.Join(", ", missing));
        }

        /// <summary>
        /// Over the first 3000 draws of each profile every operation occurs, and every operation that the profile's calculus
        /// supports occurs with an x-dependent operand (so the gradient and Laplacian properties really exercise its rule).
        /// </summary>
        [Theory]
        [InlineData(Profile.Value)]
        [InlineData(Profile.Gradient)]
        [InlineData(Profile.Laplacian)]
        public void Every_op_is_drawn(Profile profile)
        {
            var generators = new Generators(profile);
            var gen = Generators.Depth.SelectMany(d => generators.Of(Catalog.S, d, xFree: false));
            var pcg = new PCG(1, 0x5eed_0004);
            var occurs = new Dictionary<Op, int>();
            var onX = new Dictionary<Op, int>();
            void Visit(Expr e, HashSet<Expr> seen)
            {
                if (!seen.Add(e)) return;
                occurs[e.Op] = occurs.GetValueOrDefault(e.Op) + 1;
                if (e.Args.Any(a => a.DependsOnX)) onX[e.Op] = onX.GetValueOrDefault(e.Op) + 1;
                foreach (var a in e.Args) Visit(a, seen);
            }
            for (int i = 0; i < 3000; i++) Visit(gen.Generate(pcg, null, out _), new HashSet<Expr>(ReferenceEqualityComparer.Instance));
            output.WriteLine(string.Join(", ", Catalog.AllOps.Select(op => $"{op} {occurs.GetValueOrDefault(op)}/{onX.GetValueOrDefault(op)}")));
            foreach (var op in Catalog.AllOps)
            {
                Assert.True(occurs.GetValueOrDefault(op) > 0, $"{op} is never drawn in the {profile} profile");
                var spec = Catalog.Specs[op];
                if (spec.Forms.Length > 0 && Catalog.AllowsX(spec, profile))
                    Assert.True(onX.GetValueOrDefault(op) > 0, $"{op} is never drawn with an x-dependent operand in the {profile} profile");
            }
        }
    }
}
