//! Work on all cores where it adds up (keys, peer files): rayon's
//! `par_iter` with the `laptop` feature, a plain iterator without it (a
//! router build: most have one or two cores, and little flash).

/// `par_iter` and what its iterator does, whichever the build.
pub mod prelude {
    #[cfg(feature = "laptop")]
    pub use rayon::prelude::*;

    /// A slice's items one after another, where rayon is not built in.
    #[cfg(not(feature = "laptop"))]
    pub trait ParallelSlice<T> {
        /// The slice's iterator, under rayon's name.
        fn par_iter(&self) -> std::slice::Iter<'_, T>;
    }

    #[cfg(not(feature = "laptop"))]
    impl<T> ParallelSlice<T> for [T] {
        fn par_iter(&self) -> std::slice::Iter<'_, T> {
            self.iter()
        }
    }
}
