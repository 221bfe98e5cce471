using Cortado.Keras;

namespace Cortado.Examples;

/// <summary>
/// The seed's Keras model written with Cortado's C# Keras API, as its author wrote it in Keras 1:
/// two 3x3 convolutions of 32 filters, 2x2 max pooling, dropout, dense 128, dropout, dense softmax
/// over 11 classes, on 24 x 15 grayscale images, trained with Adadelta. (The test suite compiles
/// this file and checks its summary and training.)
/// </summary>
public static class FneishNetNumbers
{
    public static Sequential KerasModel() => new(
        new Conv2D(32, 3) { InputShape = [24, 15, 1] },
        new Activation("relu"),
        new Conv2D(32, 3),
        new Activation("relu"),
        new MaxPooling2D(2),
        new Dropout(0.25),
        new Flatten(),
        new Dense(128),
        new Activation("relu"),
        new Dropout(0.5),
        new Dense(11),
        new Activation("softmax"));

    /// <summary>Compiled as the author did: categorical cross-entropy, Adadelta with Keras's defaults, accuracy.</summary>
    public static Sequential Compiled()
    {
        var model = KerasModel();
        model.Compile("categorical_crossentropy", new Adadelta(), "accuracy");
        return model;
    }
}
