//! Session blocks kept in pages by size class, rather than one heap allocation each.
//!
//! Each session's bytes live as long as the session, while a request's own allocations live
//! for microseconds. Interleaved in one heap, the long-lived blocks split the free chunks the
//! short-lived ones would reuse, and glibc's allocator falls back to its slow path: on Rocket,
//! whose requests allocate a lot, `_int_malloc` went from 3.3% to 9.7% of the server's time on
//! the `new` scenario, all of it on the framework's own allocations (`perf`; see
//! BENCHMARKS.md). Taking the blocks from pages of 32 makes one long-lived allocation per 32
//! sessions, and a freed block is reused by the next session of its size without touching
//! the allocator.
//!
//! Freed blocks are kept for reuse (they are the slab's spare bytes); once they hold as many
//! bytes as the shard's sessions, the shard moves its sessions into a new slab and drops the
//! old one with all its pages (see [`Slab::move_block`]): a spike of sessions leaves no
//! pages behind once it is gone.

/// Blocks are sized in steps of this many bytes.
const GRAIN: usize = 8;

/// Blocks per page (a power of two, so that finding a block is a shift and a mask).
const PER_PAGE: usize = 32;

/// The largest block kept in pages; larger ones get their own allocation, where the
/// allocator's overhead is small beside the block.
const MAX_SLAB_BYTES: usize = 1024;

/// Marks the end of a free list.
const NONE: u32 = u32::MAX;

/// One session's bytes: where they are and how many.
pub(super) enum Block {
    /// `len` bytes in block `index` of the class that holds `len`.
    Paged { index: u32, len: u32 },
    /// Larger than [`MAX_SLAB_BYTES`]: a block of its own.
    Own(Box<[u8]>),
}

impl Block {
    /// How many bytes the block holds.
    pub(super) fn len(&self) -> usize {
        match self {
            Block::Paged { len, .. } => *len as usize,
            Block::Own(bytes) => bytes.len(),
        }
    }
}

/// The blocks of one size.
struct Class {
    pages: Vec<Box<[u8]>>,
    /// The first free block; each free block holds the next one's index in its first bytes.
    free: u32,
    /// Blocks handed out from the pages, free or not.
    used: u32,
}

impl Default for Class {
    fn default() -> Self {
        Self {
            pages: Vec::new(),
            free: NONE,
            used: 0,
        }
    }
}

/// One shard's blocks.
#[derive(Default)]
pub(super) struct Slab {
    classes: Vec<Class>,
    /// Bytes of the freed blocks, kept for reuse.
    spare: usize,
}

fn class_of(len: usize) -> usize {
    len.max(1).div_ceil(GRAIN) - 1
}

fn block_bytes(class: usize) -> usize {
    (class + 1) * GRAIN
}

impl Slab {
    /// A block for `len` bytes, their contents unspecified. `None` only for 4 GiB or more.
    pub(super) fn alloc(&mut self, len: usize) -> Option<Block> {
        let stored_len = u32::try_from(len).ok()?;
        if len > MAX_SLAB_BYTES {
            return Some(Block::Own(vec![0; len].into_boxed_slice()));
        }
        let class = class_of(len);
        if self.classes.len() <= class {
            self.classes.resize_with(class + 1, Class::default);
        }
        let (index, reused) = self.classes[class].take(block_bytes(class));
        if reused {
            self.spare = self.spare.saturating_sub(block_bytes(class));
        }
        Some(Block::Paged {
            index,
            len: stored_len,
        })
    }

    /// The block's bytes.
    pub(super) fn bytes<'a>(&'a self, block: &'a Block) -> &'a [u8] {
        match *block {
            Block::Own(ref bytes) => bytes,
            Block::Paged { index, len } => {
                let (class, page, range) = locate(index, len);
                let page = self.classes.get(class).and_then(|c| c.pages.get(page));
                page.and_then(|p| p.get(range)).unwrap_or_default()
            }
        }
    }

    /// The block's bytes, to write.
    pub(super) fn bytes_mut<'a>(&'a mut self, block: &'a mut Block) -> &'a mut [u8] {
        match *block {
            Block::Own(ref mut bytes) => bytes,
            Block::Paged { index, len } => {
                let (class, page, range) = locate(index, len);
                let page = self
                    .classes
                    .get_mut(class)
                    .and_then(|c| c.pages.get_mut(page));
                page.and_then(|p| p.get_mut(range)).unwrap_or_default()
            }
        }
    }

    /// Makes `block` hold `len` bytes in place if it can (a paged block of the same class, or
    /// an own block of that length); false if it needs another block.
    pub(super) fn resize_in_place(block: &mut Block, len: usize) -> bool {
        match block {
            Block::Paged { len: old, .. } => {
                let fits = len <= MAX_SLAB_BYTES && class_of(len) == class_of(*old as usize);
                match u32::try_from(len) {
                    Ok(len) if fits => {
                        *old = len;
                        true
                    }
                    _ => false,
                }
            }
            Block::Own(bytes) => bytes.len() == len,
        }
    }

    /// Gives the block back for the next session of its size.
    pub(super) fn release(&mut self, block: Block) {
        let Block::Paged { index, len } = block else {
            return;
        };
        let class = class_of(len as usize);
        let (page, at) = place(class, index);
        let Some(c) = self.classes.get_mut(class) else {
            return;
        };
        if let Some(link) = c.pages.get_mut(page).and_then(|p| p.get_mut(at..at + 4)) {
            link.copy_from_slice(&c.free.to_le_bytes());
            c.free = index;
            self.spare += block_bytes(class);
        }
    }

    /// Bytes of the freed blocks, kept for the next sessions of their sizes.
    pub(super) fn spare_bytes(&self) -> usize {
        self.spare
    }

    /// Bytes of the slab's pages, free or not.
    pub(super) fn page_bytes(&self) -> usize {
        let pages = self.classes.iter().enumerate();
        pages
            .map(|(class, c)| c.pages.len() * PER_PAGE * block_bytes(class))
            .sum()
    }

    /// Copies a paged block of `old` into a block of this slab and makes `block` that one; a
    /// block of its own stays where it is. Moving every block of a shard into a new slab,
    /// then dropping the old one, is how a shard hands its spare bytes back.
    pub(super) fn move_block(&mut self, old: &Slab, block: &mut Block) {
        let Block::Paged { len, .. } = *block else {
            return;
        };
        // Never `None`: a paged block is at most `MAX_SLAB_BYTES` long.
        let Some(mut moved) = self.alloc(len as usize) else {
            return;
        };
        let (to, from) = (self.bytes_mut(&mut moved), old.bytes(block));
        if to.len() == from.len() {
            to.copy_from_slice(from);
        }
        *block = moved;
    }
}

/// A paged block's class, page, and bytes within the page.
fn locate(index: u32, len: u32) -> (usize, usize, std::ops::Range<usize>) {
    let class = class_of(len as usize);
    let (page, at) = place(class, index);
    (class, page, at..at + len as usize)
}

/// The page of block `index` of `class`, and where in the page it starts.
fn place(class: usize, index: u32) -> (usize, usize) {
    let index = index as usize;
    (index / PER_PAGE, index % PER_PAGE * block_bytes(class))
}

impl Class {
    /// A free block's index, from the free list or a new one (adding a page when full), and
    /// whether it came from the free list.
    fn take(&mut self, size: usize) -> (u32, bool) {
        // `NONE` is past every page, so an empty list finds no link.
        let index = self.free;
        let at = index as usize % PER_PAGE * size;
        let link = self
            .pages
            .get(index as usize / PER_PAGE)
            .and_then(|page| page.get(at..at + 4)?.try_into().ok());
        if let Some(link) = link {
            self.free = u32::from_le_bytes(link);
            return (index, true);
        }
        if self.used as usize == self.pages.len() * PER_PAGE {
            self.pages
                .push(vec![0u8; PER_PAGE * size].into_boxed_slice());
        }
        self.used += 1;
        (self.used - 1, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(slab: &mut Slab, bytes: &[u8]) -> Block {
        let mut block = slab.alloc(bytes.len()).unwrap();
        slab.bytes_mut(&mut block).copy_from_slice(bytes);
        block
    }

    fn contents(i: u8) -> Vec<u8> {
        vec![i; 8 + usize::from(i) % 40]
    }

    #[test]
    fn blocks_hold_their_bytes_and_freed_ones_are_reused() {
        let mut slab = Slab::default();
        let blocks: Vec<Block> = (0..100).map(|i| store(&mut slab, &contents(i))).collect();
        for (i, block) in (0..).zip(&blocks) {
            assert_eq!(slab.bytes(block), &contents(i)[..]);
        }
        let pages = |slab: &Slab| slab.classes.iter().map(|c| c.pages.len()).sum::<usize>();
        let before = pages(&slab);
        for block in blocks {
            slab.release(block);
        }
        let again: Vec<Block> = (0..100).map(|i| store(&mut slab, &contents(i))).collect();
        assert_eq!(pages(&slab), before, "freed blocks are reused");
        for (i, block) in (0..).zip(&again) {
            assert_eq!(slab.bytes(block), &contents(i)[..]);
        }
    }

    #[test]
    fn large_blocks_get_their_own_allocation() {
        let mut slab = Slab::default();
        let big = vec![7u8; MAX_SLAB_BYTES + 1];
        let block = store(&mut slab, &big);
        assert!(matches!(block, Block::Own(_)));
        assert_eq!(slab.bytes(&block), &big[..]);
        let edge = store(&mut slab, &big[..MAX_SLAB_BYTES]);
        assert!(matches!(edge, Block::Paged { .. }));
        assert_eq!(slab.bytes(&edge), &big[..MAX_SLAB_BYTES]);
    }

    #[test]
    fn freed_blocks_are_spare_until_reused() {
        let mut slab = Slab::default();
        let first = store(&mut slab, &[1; 20]);
        let _second = store(&mut slab, &[2; 20]);
        assert_eq!(slab.spare_bytes(), 0);
        slab.release(first);
        assert_eq!(slab.spare_bytes(), 24, "a 20-byte block is one of 24");
        let reused = store(&mut slab, &[3; 17]);
        assert_eq!(slab.spare_bytes(), 0);
        assert_eq!(slab.bytes(&reused), &[3; 17]);
        let hundred = store(&mut slab, &[4; 100]);
        slab.release(hundred);
        assert_eq!(slab.spare_bytes(), 104);
    }

    #[test]
    fn blocks_moved_into_a_new_slab_keep_their_bytes_and_the_old_pages_go() {
        let mut slab = Slab::default();
        let mut blocks = Vec::new();
        let contents = |i: u16| -> Vec<u8> { vec![i as u8; 20] };
        let all: Vec<Block> = (0..640).map(|i| store(&mut slab, &contents(i))).collect();
        for (i, block) in (0..).zip(all) {
            // Nine in ten go, as after a spike.
            if i % 10 == 0 {
                blocks.push((i, block));
            } else {
                slab.release(block);
            }
        }
        let big = vec![9u8; MAX_SLAB_BYTES + 1];
        blocks.push((0, store(&mut slab, &big)));
        let pages = |slab: &Slab| slab.classes.iter().map(|c| c.pages.len()).sum::<usize>();
        let before = pages(&slab);
        let old = std::mem::take(&mut slab);
        for (_, block) in &mut blocks {
            slab.move_block(&old, block);
        }
        drop(old);
        assert_eq!((before, pages(&slab)), (20, 2));
        assert_eq!(slab.spare_bytes(), 0);
        let (own, paged) = blocks.split_last().unwrap();
        for (i, block) in paged {
            assert!(matches!(block, Block::Paged { .. }));
            assert_eq!(slab.bytes(block), &contents(*i)[..]);
        }
        assert!(matches!(own.1, Block::Own(_)));
        assert_eq!(slab.bytes(&own.1), &big[..]);
    }

    #[test]
    fn a_block_is_rewritten_in_place_within_its_class() {
        let mut slab = Slab::default();
        let mut block = store(&mut slab, &[1; 17]);
        assert!(!Slab::resize_in_place(&mut block, 25));
        assert!(!Slab::resize_in_place(&mut block, 16));
        assert!(Slab::resize_in_place(&mut block, 24));
        slab.bytes_mut(&mut block).copy_from_slice(&[2; 24]);
        assert_eq!(slab.bytes(&block), &[2; 24]);
    }
}
