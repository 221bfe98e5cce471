namespace Cortado.Keras;

/// <summary>The Keras whose defaults a model was written against: they differ, Adadelta's most of all.</summary>
public enum KerasVersion
{
    /// <summary>Keras 1.x (the seed's): Adadelta lr 1.0, epsilon 1e-8.</summary>
    Keras1,
    /// <summary>Keras 2.x: Adadelta lr 1.0, epsilon 1e-7.</summary>
    Keras2,
    /// <summary>tf.keras (TensorFlow 2): Adadelta learning_rate 0.001, epsilon 1e-7.</summary>
    TfKeras,
    /// <summary>Keras 3: as tf.keras.</summary>
    Keras3,
}
