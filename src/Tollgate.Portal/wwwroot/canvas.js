// Studio's canvas (ExperimentCanvas): where the canvas is on screen, so a drop lands where the pointer is, and arrow
// keys on a focused module move the module instead of scrolling the page.
export function attach(canvas) {
    canvas.addEventListener('keydown', event => {
        if (event.target instanceof HTMLElement && event.target.classList.contains('node')
            && ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', ' '].includes(event.key)) {
            event.preventDefault();
        }
    });
}

export function origin(canvas) {
    const rect = canvas.getBoundingClientRect();
    return [rect.left - canvas.scrollLeft, rect.top - canvas.scrollTop];
}
