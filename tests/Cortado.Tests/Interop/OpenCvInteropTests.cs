using System.Diagnostics;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Tests.Interop;

/// <summary>
/// A real Caffe client reads Cortado's files: OpenCV's DNN module (Debian's python3-opencv,
/// installed by .ci/run) loads a Cortado-trained .caffemodel with its deploy prototxt and must
/// give the same class probabilities as Cortado's own forward pass on the same images.
/// </summary>
public class OpenCvInteropTests
{
    // A seed-like net on 24 x 15 images: two 3x3 convolutions, max pooling whose ceil rounding
    // matters (stride 2 over 20 x 11), dropout, two inner products.
    private const string Layers = """
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 3 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
        layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2" convolution_param { num_output: 8 kernel_size: 3 weight_filler { type: "xavier" } } }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
        layer { name: "pool1" type: "Pooling" bottom: "conv2" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "drop1" type: "Dropout" bottom: "pool1" top: "pool1" dropout_param { dropout_ratio: 0.25 } }
        layer { name: "fc1" type: "InnerProduct" bottom: "pool1" top: "fc1" inner_product_param { num_output: 16 weight_filler { type: "xavier" } } }
        layer { name: "relu3" type: "ReLU" bottom: "fc1" top: "fc1" }
        layer { name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2" inner_product_param { num_output: 11 weight_filler { type: "xavier" } } }
        """;

    [Fact]
    public void OpenCvLoadsACortadoTrainedModelAndAgrees()
    {
        using var dir = new TempDir();
        const int n = 16, c = 1, h = 24, w = 15;
        string train = "name: \"seedlike\"\n" + """
            layer { name: "data" type: "DummyData" top: "data" top: "label"
              dummy_data_param { shape { dim: 16 dim: 1 dim: 24 dim: 15 } shape { dim: 16 } data_filler { type: "uniform" min: 0 max: 1 } data_filler { type: "constant" value: 3 } } }
            """ + Layers + "layer { name: \"loss\" type: \"SoftmaxWithLoss\" bottom: \"fc2\" bottom: \"label\" top: \"loss\" }\n";
        var solverParam = TextFormat.Parse<SolverParameter>($"base_lr: 0.0005 lr_policy: 'fixed' momentum: 0.9 max_iter: 3 random_seed: 11 snapshot_prefix: '{dir.File("seedlike")}'");
        solverParam.NetParam = TextFormat.Parse<NetParameter>(train);
        var solver = SolverFactory.Create(solverParam);
        solver.Solve();
        string weights = dir.File("seedlike_iter_3.caffemodel");

        string deploy = "name: \"seedlike\"\n" + $"layer {{ name: \"data\" type: \"Input\" top: \"data\" input_param {{ shape {{ dim: {n} dim: {c} dim: {h} dim: {w} }} }} }}\n"
            + Layers + "layer { name: \"prob\" type: \"Softmax\" bottom: \"fc2\" top: \"prob\" }\n";
        File.WriteAllText(dir.File("deploy.prototxt"), deploy);
        var images = Cortado.Tests.Compute.Reference.Random(n * c * h * w, 21, 4f);
        File.WriteAllBytes(dir.File("images.f32"), images.SelectMany(BitConverter.GetBytes).ToArray());

        var net = new Net(ProtoFiles.ReadNetText(dir.File("deploy.prototxt")), Phase.Test);
        net.CopyTrainedLayersFrom(ProtoFiles.ReadNetBinary(weights), weights);
        images.CopyTo(net.Blob("data").Data);
        net.Forward();
        var ours = net.Blob("prob").Data.ToArray();

        var theirs = RunOpenCv(dir, weights, n, c, h, w);
        Assert.Equal(ours.Length, theirs.Length);
        for (int i = 0; i < ours.Length; i++) Assert.True(Math.Abs(ours[i] - theirs[i]) < 1e-4, $"probability {i}: Cortado {ours[i]}, OpenCV {theirs[i]}");
        for (int s = 0; s < n; s++)
            Assert.Equal(ArgMax(ours.AsSpan(s * 11, 11)), ArgMax(theirs.AsSpan(s * 11, 11)));
        Assert.True(Enumerable.Range(0, n).Select(s => ArgMax(ours.AsSpan(s * 11, 11))).Distinct().Count() > 1, "the comparison should see more than one predicted class");
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static float[] RunOpenCv(TempDir dir, string weights, int n, int c, int h, int w)
    {
        // Debian's interpreter, where python3-opencv installs cv2 (a pyenv python on PATH would not see it).
        string python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python)
        {
            ArgumentList = { Path.Combine(RepoPaths.Root, "tests/Cortado.Tests/Interop/opencv_forward.py"), dir.File("deploy.prototxt"), weights,
                dir.File("images.f32"), n.ToString(), c.ToString(), h.ToString(), w.ToString(), dir.File("opencv.f32") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0,
            $"OpenCV could not run the net (exit {process.ExitCode}). It needs Debian's python3-opencv: apt-get install python3-opencv, as .ci/run does.\n{stdout}\n{stderr}");
        var bytes = File.ReadAllBytes(dir.File("opencv.f32"));
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}
