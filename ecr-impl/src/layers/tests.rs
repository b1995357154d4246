//! Tests of the layer functions.
